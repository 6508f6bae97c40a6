import { useState, type FormEvent } from "react";

import { Composer } from "@/components/composer/composer";
import { Avatar } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import { Badge } from "@/components/ui/card";
import { ErrorNotice, ListSkeleton, Notice } from "@/components/ui/feedback";
import { SelectField } from "@/components/ui/field";
import { AttachmentList } from "@/features/resources";
import type { MentionSource } from "@/lib/composer-api";
import { useOrg } from "@/lib/org";
import { fullTime, timeAgo } from "@/lib/time";
import { atLeast, person } from "@/lib/types";

import { countReplies, REACTIONS, useDeletePost, useEditPost, useFlagPost, useMarkSolution, useReact, useRevisions, type Post, type ThreadNode, type Topic } from "../api";

export interface PostContext {
  topic: Topic;
  online: Set<string> | undefined;
  /** Where my reading stopped when I opened the topic (null: nothing read before, or all read). */
  firstUnreadId: string | null;
  /** Where my previous visit ended: posts newer (by others) are "new since your last visit". */
  lastVisitAt: string | null;
  onReply: (post: Post) => void;
  onQuote: (post: Post, text: string) => void;
  preview: (content: string) => Promise<string>;
  mentions: MentionSource;
}

function History({ post }: { post: Post }) {
  const { slug } = useOrg();
  const revisions = useRevisions(slug, post.id, true);
  if (revisions.isPending) return <ListSkeleton rows={1} label="Loading the edit history" />;
  if (revisions.isError) return <ErrorNotice error={revisions.error} />;
  return (
    <ol aria-label="Edit history" className="mt-2 space-y-2 rounded-md bg-gray-50 p-3 text-sm dark:bg-gray-800">
      {revisions.data.revisions.map((r) => (
        <li key={r.id}>
          <p className="text-xs text-gray-600 dark:text-gray-400">Before the edit of <time dateTime={r.edited_at}>{fullTime(r.edited_at)}</time>{r.editor ? ` by ${r.editor.display_name}` : ""}:</p>
          <pre className="font-sans whitespace-pre-wrap">{r.previous_content}</pre>
        </li>
      ))}
      {revisions.data.revisions.length === 0 && <li>No earlier versions are kept.</li>}
    </ol>
  );
}

function FlagForm({ post, onDone }: { post: Post; onDone: () => void }) {
  const { slug } = useOrg();
  const flag = useFlagPost(slug);
  const [reason, setReason] = useState("Spam");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    flag.mutate({ id: post.id, reason });
  };
  if (flag.isSuccess) return <Notice>Thanks — the moderators will review this post.</Notice>;
  return (
    <form onSubmit={submit} className="mt-2 flex flex-wrap items-end gap-2 rounded-md bg-gray-50 p-3 dark:bg-gray-800">
      <div className="min-w-48">
        <SelectField label="Why flag this post?" value={reason} onChange={(e) => setReason(e.target.value)}>
          <option>Spam</option>
          <option>Abusive or harassing</option>
          <option>Off topic</option>
          <option>Something else</option>
        </SelectField>
      </div>
      <Button type="submit" size="sm" busy={flag.isPending}>Send flag</Button>
      <Button size="sm" variant="secondary" onClick={onDone}>Cancel</Button>
      <ErrorNotice error={flag.error} className="w-full" />
    </form>
  );
}

function Reactions({ post, canReact, reason }: { post: Post; canReact: boolean; reason?: string }) {
  const { slug } = useOrg();
  const react = useReact(slug, post.topic_id);
  const [open, setOpen] = useState(false);
  const used = REACTIONS.filter((e) => (post.reactions[e] ?? 0) > 0);
  return (
    <div className="mt-2 flex flex-wrap items-center gap-1">
      {used.map((emoji) => {
        const mine = post.my_reactions.includes(emoji);
        const count = post.reactions[emoji] ?? 0;
        return (
          <button key={emoji} type="button" disabled={!canReact} aria-pressed={mine} title={canReact ? undefined : reason}
            aria-label={`${emoji} ${count}${mine ? ", you reacted" : ""}`}
            onClick={() => react.mutate({ id: post.id, emoji, on: !mine })}
            className={`rounded-full border px-2 py-0.5 text-sm ${mine ? "border-blue-600 bg-blue-50 dark:bg-blue-950" : "border-gray-300 dark:border-gray-600"}`}>
            {emoji} {count}
          </button>
        );
      })}
      {canReact && (
        <div className="relative">
          <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} className="rounded-full border border-dashed border-gray-400 px-2 py-0.5 text-sm text-gray-700 dark:text-gray-300">
            + <span className="sr-only">Add a reaction</span><span aria-hidden="true">😊</span>
          </button>
          {open && (
            <div role="group" aria-label="Reactions" className="absolute z-20 mt-1 flex gap-1 rounded-md bg-white p-1 shadow-lg ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-700">
              {REACTIONS.map((emoji) => (
                <button key={emoji} type="button" aria-label={`React ${emoji}`} className="rounded px-1.5 py-1 hover:bg-gray-100 dark:hover:bg-gray-800"
                  onClick={() => { setOpen(false); react.mutate({ id: post.id, emoji, on: !post.my_reactions.includes(emoji) }); }}>
                  {emoji}
                </button>
              ))}
            </div>
          )}
        </div>
      )}
    </div>
  );
}

export function PostView({ node, ctx, depth }: { node: ThreadNode; ctx: PostContext; depth: number }) {
  const { post } = node;
  const author = person(post.author);
  const { slug, role, userId } = useOrg();
  const [mode, setMode] = useState<"view" | "edit" | "flag" | "history">("view");
  const [collapsed, setCollapsed] = useState(false);
  const [draft, setDraft] = useState(post.content);
  const edit = useEditPost(slug, post.topic_id);
  const remove = useDeletePost(slug, post.topic_id);
  const solve = useMarkSolution(slug, post.topic_id);
  const mine = userId === author.id;
  const moderator = atLeast(role, "moderator");
  const member = atLeast(role, "member");
  // A locked topic is frozen for everyone but its moderators: no replies, edits, deletions, reactions or solutions.
  const frozen = ctx.topic.is_locked && !moderator;
  const canReply = member && !frozen;
  const replies = countReplies(node);
  const headingId = `post-${post.id}-by`;
  const newSinceVisit = ctx.lastVisitAt !== null && !mine && !post.is_deleted && Date.parse(post.created_at) > Date.parse(ctx.lastVisitAt);

  const quoteSelection = () => {
    const selection = window.getSelection()?.toString() ?? "";
    ctx.onQuote(post, selection.trim() || post.content);
  };

  return (
    <div className={depth > 0 ? "border-l-2 border-gray-200 pl-3 sm:pl-5 dark:border-gray-700" : ""}>
      {ctx.firstUnreadId === post.id && (
        <div role="separator" aria-label="Unread posts start here" className="my-2 flex items-center gap-2 text-xs font-semibold text-red-700 dark:text-red-400">
          <span className="h-px flex-1 bg-red-300" /> Unread <span className="h-px flex-1 bg-red-300" />
        </div>
      )}
      <article id={`post-${post.id}`} aria-labelledby={headingId} tabIndex={-1} data-post data-post-id={post.id}
        className={`scroll-mt-24 rounded-lg p-3 sm:p-4 ${post.is_solution ? "bg-green-50 ring-1 ring-green-300 dark:bg-green-950 dark:ring-green-800" : "bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-800"}`}>
        <header className="flex flex-wrap items-center gap-2">
          <Avatar user={author} size="sm" online={ctx.online ? ctx.online.has(author.id) : undefined} />
          <h3 id={headingId} className="text-sm font-semibold">{post.is_deleted ? "Deleted post" : author.display_name}</h3>
          <a href={`#post-${post.id}`} className="text-xs text-gray-600 hover:underline dark:text-gray-400">
            <time dateTime={post.created_at} title={fullTime(post.created_at)}>{timeAgo(post.created_at)}</time>
          </a>
          {post.edit_count > 0 && !post.is_deleted && (
            <button type="button" onClick={() => setMode(mode === "history" ? "view" : "history")} aria-expanded={mode === "history"} className="text-xs text-gray-600 underline dark:text-gray-400">
              edited{post.last_edited_at ? ` ${timeAgo(post.last_edited_at)}` : ""}
            </button>
          )}
          {post.is_solution && <Badge tone="green">Solution</Badge>}
          {newSinceVisit && <span className="rounded bg-red-100 px-1.5 text-xs font-medium text-red-900 dark:bg-red-950 dark:text-red-200" title="New since your last visit">New<span className="sr-only"> since your last visit</span></span>}
        </header>
        {post.is_deleted ? (
          <p className="mt-2 text-sm text-gray-600 italic dark:text-gray-400">This post was deleted.</p>
        ) : mode === "edit" ? (
          <div className="mt-2">
            <Composer label="Edit post" submitLabel="Save" value={draft} onChange={setDraft} busy={edit.isPending} error={edit.error}
              preview={ctx.preview} mentions={ctx.mentions} onCancel={() => setMode("view")}
              onSubmit={() => edit.mutate({ id: post.id, content: draft }, { onSuccess: () => setMode("view") })} />
          </div>
        ) : (
          // Server-rendered and sanitised (nh3): the only HTML the app ever injects.
          <div className="prose-post mt-2 text-sm sm:text-base" dangerouslySetInnerHTML={{ __html: post.html }} />
        )}
        {!post.is_deleted && <AttachmentList slug={slug} attachments={post.attachments} />}
        {mode === "history" && <History post={post} />}
        {!post.is_deleted && mode !== "edit" && (
          <>
            <Reactions post={post} canReact={member && !frozen} reason={frozen ? "This topic is locked" : undefined} />
            <div className="mt-2 flex flex-wrap gap-1 text-sm">
              {canReply && <Button size="sm" variant="ghost" onClick={() => ctx.onReply(post)}>Reply</Button>}
              {canReply && <Button size="sm" variant="ghost" onClick={quoteSelection}>Quote</Button>}
              {mine && frozen && <span className="self-center py-1 text-xs text-gray-600 dark:text-gray-400">This topic is locked: your post can no longer be edited or deleted.</span>}
              {(mine || moderator) && !frozen && <Button size="sm" variant="ghost" onClick={() => { setDraft(post.content); setMode("edit"); }}>Edit</Button>}
              {(mine || moderator) && !frozen && (
                <Button size="sm" variant="ghost" busy={remove.isPending}
                  onClick={() => { if (window.confirm("Delete this post?")) remove.mutate(post.id); }}>Delete</Button>
              )}
              {!mine && member && <Button size="sm" variant="ghost" onClick={() => setMode(mode === "flag" ? "view" : "flag")}>Flag</Button>}
              {!post.is_solution && (moderator || (userId === ctx.topic.author?.id && !frozen)) && (
                <Button size="sm" variant="ghost" busy={solve.isPending} onClick={() => solve.mutate(post.id)}>Mark as solution</Button>
              )}
              {replies > 0 && (
                <Button size="sm" variant="ghost" aria-expanded={!collapsed} onClick={() => setCollapsed(!collapsed)}>
                  {collapsed ? `Show ${replies} ${replies === 1 ? "reply" : "replies"}` : "Collapse replies"}
                </Button>
              )}
            </div>
            <ErrorNotice error={remove.error ?? solve.error} className="mt-2" />
            {mode === "flag" && <FlagForm post={post} onDone={() => setMode("view")} />}
          </>
        )}
      </article>
      {replies > 0 && !collapsed && (
        <div className="mt-3 space-y-3">
          {node.replies.map((child) => <PostView key={child.post.id} node={child} ctx={ctx} depth={Math.min(depth + 1, 4)} />)}
        </div>
      )}
    </div>
  );
}
