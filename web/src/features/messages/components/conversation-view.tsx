import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router";

import { Composer } from "@/components/composer/composer";
import { useDraft } from "@/components/composer/draft";
import { Avatar } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import { ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { NotFoundPage } from "@/features/errors";
import { AttachmentList, AttachmentPicker } from "@/features/resources";
import { ApiError } from "@/lib/api";
import { orgPath, useOrg } from "@/lib/org";
import { useChannel, useSendTyping, useTypists } from "@/lib/realtime-context";
import { fullTime, timeAgo } from "@/lib/time";
import { person } from "@/lib/types";

import { useConversation, useDeleteMessage, useEditMessage, useMarkRead, useMessages, useSendMessage, type Message } from "../api";
import { conversationName } from "./conversation-list";

function MessageItem({ message, mine, seenBy }: { message: Message; mine: boolean; seenBy: string[] }) {
  const sender = person(message.sender);
  const { slug } = useOrg();
  const edit = useEditMessage(slug, message.conversation_id);
  const remove = useDeleteMessage(slug, message.conversation_id);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.content);
  const labelId = `message-${message.id}-by`;
  return (
    <article aria-labelledby={labelId} className={`flex gap-2 ${mine ? "flex-row-reverse" : ""}`}>
      <Avatar user={sender} size="sm" />
      <div className={`max-w-[80%] rounded-lg px-3 py-2 ${mine ? "bg-blue-700 text-white" : "bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-800"}`}>
        <p className={`text-xs ${mine ? "text-blue-100" : "text-gray-600 dark:text-gray-400"}`}>
          <span id={labelId} className="font-semibold">{sender.display_name}</span> · <time dateTime={message.created_at} title={fullTime(message.created_at)}>{timeAgo(message.created_at)}</time>
          {message.is_edited && !message.is_deleted && " · edited"}
        </p>
        {message.is_deleted ? <p className="text-sm italic opacity-80">This message was deleted.</p> : editing ? (
          <div className="mt-1 rounded bg-white p-2 text-gray-900 dark:bg-gray-900 dark:text-gray-100">
            <Composer label="Edit message" submitLabel="Save" value={draft} onChange={setDraft} rows={2} busy={edit.isPending} error={edit.error}
              onCancel={() => setEditing(false)} onSubmit={() => edit.mutate({ messageId: message.id, content: draft }, { onSuccess: () => setEditing(false) })} />
          </div>
        ) : (
          // Server-rendered and sanitised (nh3): the only HTML the app ever injects.
          <div className={`prose-post text-sm ${mine ? "[&_a]:text-white" : ""}`} dangerouslySetInnerHTML={{ __html: message.html }} />
        )}
        {!message.is_deleted && <div className="text-gray-900 dark:text-gray-100"><AttachmentList slug={slug} attachments={message.attachments} /></div>}
        {mine && !message.is_deleted && !editing && (
          <div className="mt-1 flex gap-2 text-xs">
            <button type="button" className="underline" onClick={() => { setDraft(message.content); setEditing(true); }}>Edit</button>
            <button type="button" className="underline" onClick={() => { if (window.confirm("Delete this message?")) remove.mutate(message.id); }}>Delete</button>
          </div>
        )}
        {seenBy.length > 0 && <p className={`mt-1 text-xs ${mine ? "text-blue-100" : "text-gray-600"}`}>Seen by {seenBy.join(", ")}</p>}
        <ErrorNotice error={remove.error} />
      </div>
    </article>
  );
}

function Typing({ id }: { id: string }) {
  const names = useTypists(id).map((t) => t.user_name);
  return <p aria-live="polite" className="h-5 px-4 text-sm text-gray-600 italic dark:text-gray-400">{names.length ? `${names.join(", ")} ${names.length === 1 ? "is" : "are"} typing…` : ""}</p>;
}

export function ConversationView() {
  const { conversationId = "" } = useParams();
  const { slug, userId } = useOrg();
  const conversation = useConversation(slug, conversationId);
  const messages = useMessages(slug, conversationId);
  const send = useSendMessage(slug, conversationId);
  const [attachments, setAttachments] = useState<string[]>([]);
  const [attachmentRound, setAttachmentRound] = useState(0);
  const markRead = useMarkRead(slug, conversationId);
  const [draft, setDraft, clearDraft] = useDraft(`conversation:${conversationId}`);
  const typing = useSendTyping({ conversation_id: conversationId });
  const bottom = useRef<HTMLDivElement>(null);
  useChannel(`conversation:${conversationId}`);

  const ordered = useMemo(() => [...(messages.data?.pages.flatMap((p) => p.messages) ?? [])].reverse(), [messages.data]);
  const newest = ordered[ordered.length - 1];
  const conv = conversation.data?.conversation;
  const myRead = conv?.participants.find((p) => p.user.id === userId)?.last_read_message_id;

  useEffect(() => {
    bottom.current?.scrollIntoView({ block: "end" });
  }, [newest?.id]);
  // Reading the newest message while the conversation is on screen moves my read position.
  const { mutate: markReadMutate } = markRead;
  useEffect(() => {
    if (newest && newest.id !== myRead && document.visibilityState === "visible") markReadMutate(newest.id);
  }, [newest, myRead, markReadMutate]);

  if (conversation.isPending || messages.isPending) return <ListSkeleton rows={6} label="Loading the conversation" />;
  if (conversation.isError || messages.isError) {
    const error = conversation.error ?? messages.error;
    if (error instanceof ApiError && error.status === 404) return <NotFoundPage />;
    return <ErrorNotice error={error} />;
  }
  if (!conv) return <NotFoundPage />;
  // "Seen by": under my newest message each other participant has read up to.
  const index = new Map(ordered.map((m, i) => [m.id, i]));
  const seen = new Map<string, string[]>();
  for (const p of conv.participants) {
    if (p.user.id === userId || !p.last_read_message_id) continue;
    const upTo = index.get(p.last_read_message_id);
    if (upTo === undefined) continue;
    const lastMine = [...ordered.slice(0, upTo + 1)].reverse().find((m) => m.sender?.id === userId);
    if (lastMine) seen.set(lastMine.id, [...(seen.get(lastMine.id) ?? []), p.user.display_name]);
  }
  return (
    <section aria-label={conversationName(conv, userId)} className="flex h-[calc(100vh-12rem)] min-h-96 flex-col">
      <header className="flex items-center gap-2 border-b border-gray-200 px-4 py-3 dark:border-gray-800">
        <Link to={orgPath(slug, "messages")} className="text-sm text-blue-700 md:hidden dark:text-blue-300">← All</Link>
        <h2 className="truncate text-lg font-semibold">{conversationName(conv, userId)}</h2>
      </header>
      <div className="flex-1 space-y-3 overflow-y-auto p-4">
        {messages.hasNextPage && (
          <div className="text-center"><Button size="sm" variant="secondary" onClick={() => void messages.fetchNextPage()} busy={messages.isFetchingNextPage}>Load earlier messages</Button></div>
        )}
        {ordered.length === 0 && <p className="text-center text-sm text-gray-600 dark:text-gray-400">No messages yet. Say hello!</p>}
        {ordered.map((m) => <MessageItem key={m.id} message={m} mine={m.sender?.id === userId} seenBy={seen.get(m.id) ?? []} />)}
        <div ref={bottom} />
      </div>
      <Typing id={conversationId} />
      <div className="border-t border-gray-200 p-3 dark:border-gray-800">
        <Composer label="Message" submitLabel="Send" value={draft} onChange={setDraft} rows={2} enterSends onTyping={typing}
          busy={send.isPending} error={send.error} hint="Enter sends, Shift+Enter makes a new line."
          onSubmit={() => send.mutate({ content: draft, attachments }, {
            onSuccess: () => { clearDraft(); setAttachmentRound((n) => n + 1); },
          })} />
        <div className="mt-2"><AttachmentPicker slug={slug} onChange={setAttachments} resetKey={attachmentRound} /></div>
      </div>
    </section>
  );
}
