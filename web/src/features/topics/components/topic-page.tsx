import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { Composer, type ComposerHandle } from "@/components/composer/composer";
import { useDraft } from "@/components/composer/draft";
import { quote } from "@/components/composer/mentions";
import { Button } from "@/components/ui/button";
import { Badge, Card } from "@/components/ui/card";
import { ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { ShortcutsDialog, useShortcuts, type Shortcut } from "@/components/ui/shortcuts";
import { NotFoundPage } from "@/features/errors";
import { AttachmentPicker } from "@/features/resources";
import { ApiError } from "@/lib/api";
import { markdownPreview, mentionSource } from "@/lib/composer-api";
import { orgPath, useOrg } from "@/lib/org";
import { useOnline } from "@/lib/presence";
import { useChannel, useSendTyping, useTypists } from "@/lib/realtime-context";
import { fullTime, timeAgo } from "@/lib/time";
import { atLeast, person } from "@/lib/types";

import { buildThread, useCreatePost, useDeleteTopic, useFillGap, useReadPosition, useTopic, useUpdateTopic, type Gap, type Post, type ThreadNode, type Topic } from "../api";
import { PostView, type PostContext } from "./post-view";

function TypingLine({ topicId }: { topicId: string }) {
  const typists = useTypists(topicId);
  const names = typists.map((t) => t.user_name);
  const text = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
  return <p aria-live="polite" className="h-5 text-sm text-gray-600 italic dark:text-gray-400">{text}</p>;
}

function ModeratorTools({ topic }: { topic: Topic }) {
  const { slug } = useOrg();
  const update = useUpdateTopic(slug, topic.id);
  const toggles = [
    { key: "is_pinned", on: topic.is_pinned, label: topic.is_pinned ? "Unpin" : "Pin" },
    { key: "is_locked", on: topic.is_locked, label: topic.is_locked ? "Unlock" : "Lock" },
    { key: "is_announcement", on: topic.is_announcement, label: topic.is_announcement ? "Stop announcing" : "Announce" },
  ] as const;
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Moderation">
      {toggles.map((t) => (
        <Button key={t.key} size="sm" variant="secondary" busy={update.isPending && update.variables[t.key] !== undefined}
          onClick={() => update.mutate({ [t.key]: !t.on })}>{t.label}</Button>
      ))}
      <ErrorNotice error={update.error} className="w-full" />
    </div>
  );
}

function OpeningPost({ topic, online }: { topic: Topic; online: Set<string> | undefined }) {
  const { slug, role, userId } = useOrg();
  const navigate = useNavigate();
  const remove = useDeleteTopic(slug, topic.id);
  const author = person(topic.author);
  const moderator = atLeast(role, "moderator");
  const frozen = topic.is_locked && !moderator;  // its author may no longer delete it
  const canDelete = (userId === author.id && !frozen) || moderator;
  return (
    <article aria-labelledby="topic-title" tabIndex={-1} data-post className="rounded-lg bg-white p-4 ring-1 ring-gray-200 sm:p-6 dark:bg-gray-900 dark:ring-gray-800">
      <div className="flex flex-wrap items-center gap-1.5">
        {topic.is_pinned && <Badge tone="blue">Pinned</Badge>}
        {topic.is_announcement && <Badge tone="purple">Announcement</Badge>}
        {topic.is_locked && <Badge>Locked</Badge>}
        {topic.solution_post_id && <Badge tone="green">Solved</Badge>}
      </div>
      <h1 id="topic-title" className="mt-1 text-2xl font-bold break-words sm:text-3xl">{topic.title}</h1>
      <p className="mt-1 text-sm text-gray-600 dark:text-gray-400">
        {author.display_name}{online ? (online.has(author.id) ? " (online)" : "") : ""} · <time dateTime={topic.created_at} title={fullTime(topic.created_at)}>{timeAgo(topic.created_at)}</time>
        {topic.edit_count > 0 && " · edited"} · {topic.view_count} {topic.view_count === 1 ? "view" : "views"}
      </p>
      {topic.tags.length > 0 && (
        <ul aria-label="Tags" className="mt-2 flex flex-wrap gap-1">{topic.tags.map((t) => <li key={t}><Badge>#{t}</Badge></li>)}</ul>
      )}
      {/* Server-rendered and sanitised (nh3): the only HTML the app ever injects. */}
      <div className="prose-post mt-4" dangerouslySetInnerHTML={{ __html: topic.html }} />
      {userId === author.id && frozen && (
        <p className="mt-4 text-sm text-gray-600 dark:text-gray-400">This topic is locked: it can no longer be edited or deleted.</p>
      )}
      {canDelete && (
        <div className="mt-4">
          <Button size="sm" variant="ghost" busy={remove.isPending} onClick={() => {
            if (window.confirm("Delete this topic and all its replies?")) remove.mutate(undefined, { onSuccess: () => navigate(orgPath(slug, "forums", topic.forum_id)) });
          }}>Delete topic</Button>
          <ErrorNotice error={remove.error} />
        </div>
      )}
    </article>
  );
}

function focusPost(direction: 1 | -1) {
  const posts = [...document.querySelectorAll<HTMLElement>("[data-post]")];
  const current = posts.findIndex((p) => p === document.activeElement || p.contains(document.activeElement));
  const next = posts[current === -1 ? (direction === 1 ? 0 : posts.length - 1) : Math.max(0, Math.min(posts.length - 1, current + direction))];
  next?.focus();
  next?.scrollIntoView({ block: "center" });
}

/** The newest post (in the order they were written) that has been on screen: half of it, or half the screen. */
function useNewestSeen(posts: Post[]): string | null {
  const [newest, setNewest] = useState<string | null>(null);
  useEffect(() => {
    const order = new Map(posts.map((p, i) => [p.id, i]));
    const observer = new IntersectionObserver((entries) => {
      let best: string | null = null;
      for (const entry of entries) {
        const id = (entry.target as HTMLElement).dataset.postId;
        const enough = entry.intersectionRatio >= 0.5 || entry.intersectionRect.height >= (entry.rootBounds?.height ?? Infinity) / 2;
        if (id && entry.isIntersecting && enough && (best === null || (order.get(id) ?? -1) > (order.get(best) ?? -1))) best = id;
      }
      if (best !== null) {
        const seen = best;
        setNewest((current) => (current !== null && (order.get(current) ?? -1) >= (order.get(seen) ?? -1) ? current : seen));
      }
    }, { threshold: [0, 0.5, 1] });
    document.querySelectorAll("[data-post-id]").forEach((el) => observer.observe(el));
    return () => observer.disconnect();
  }, [posts]);
  return newest;
}

/** "Show the replies in between" where the topic jumped ahead to my first unread post. */
function GapButton({ gap }: { gap: Gap }) {
  const { slug } = useOrg();
  const { topicId = "" } = useParams();
  const fill = useFillGap(slug, topicId);
  return (
    <div className="text-center">
      <Button variant="secondary" size="sm" busy={fill.isPending} onClick={() => fill.mutate(gap.cursor)}>Show the replies in between</Button>
      <ErrorNotice error={fill.error} />
    </div>
  );
}

/** Root posts with the gap's button before the first root written after `gap.after`. */
function gapIndex(thread: ThreadNode[], posts: Post[], gap: Gap | null | undefined): number {
  if (!gap) return -1;
  const order = new Map(posts.map((p, i) => [p.id, i]));
  const after = order.get(gap.after) ?? -1;
  return thread.findIndex((node) => (order.get(node.post.id) ?? -1) > after);
}

export function TopicPage() {
  const { topicId = "" } = useParams();
  const { slug, role } = useOrg();
  const topic = useTopic(slug, topicId);
  const online = useOnline(slug);
  const create = useCreatePost(slug, topicId);
  const [attachments, setAttachments] = useState<string[]>([]);
  const [attachmentRound, setAttachmentRound] = useState(0);
  const [draft, setDraft, clearDraft] = useDraft(`topic:${topicId}`);
  const [replyTo, setReplyTo] = useState<Post | null>(null);
  const composer = useRef<ComposerHandle>(null);
  const sendTyping = useSendTyping({ topic_id: topicId });
  const canPost = atLeast(role, "member");
  useChannel(`topic:${topicId}`);

  const preview = useMemo(() => markdownPreview(slug), [slug]);
  const mentions = useMemo(() => mentionSource(slug), [slug]);
  const startReply = useCallback((post: Post | null) => {
    setReplyTo(post);
    composer.current?.focus();
  }, []);
  const shortcuts: Shortcut[] = [
    { key: "j", label: "Next post", run: () => focusPost(1) },
    { key: "k", label: "Previous post", run: () => focusPost(-1) },
    { key: "r", label: "Reply to the topic", run: () => startReply(null) },
    { key: "/", label: "Search", run: () => document.getElementById("site-search")?.focus() },
  ];
  const dialog = useShortcuts(shortcuts);

  const data = topic.data;
  const posts = useMemo(() => data?.pages.flatMap((p) => p.posts) ?? [], [data]);
  const thread = useMemo(() => buildThread(posts), [posts]);
  const first = data?.pages[0];
  const head = first?.topic;
  const read = first?.read ?? null;
  const gap = first?.gap;
  const newestSeen = useNewestSeen(posts);
  useReadPosition(slug, topicId, newestSeen, read?.last_read_post_id ?? null);

  // Where I stood when I opened the topic: my position moves as I read, the markers stay put.
  const [opening, setOpening] = useState<{ topicId: string; firstUnread: string | null; lastVisitAt: string | null } | null>(null);
  const openedHere = opening?.topicId === topicId ? opening : null;
  useEffect(() => {
    if (!first || openedHere) return;
    // A topic never opened starts at the top; one read before opens at its first unread post.
    const firstUnread = first.read?.last_read_post_id ? first.read.first_unread_post_id : null;
    setOpening({ topicId, firstUnread, lastVisitAt: first.last_visit_at });
  }, [first, openedHere, topicId]);
  const firstUnread = openedHere?.firstUnread ?? null;

  const scrolled = useRef<string | null>(null);
  useEffect(() => {
    if (!firstUnread || scrolled.current === firstUnread) return;
    const el = document.getElementById(`post-${firstUnread}`);
    if (el) {
      scrolled.current = firstUnread;
      el.scrollIntoView({ block: "start" });
      // Focus follows only if nothing has it: posts that arrive late must not take the keys from a box
      // the reader is already typing in (the header's search lost its Enter to the post, a slow load).
      const focused = document.activeElement;
      if (!focused || focused === document.body) el.focus({ preventScroll: true });
    }
  }, [firstUnread, posts.length]);

  if (topic.isPending) return <ListSkeleton rows={8} label="Loading the topic" />;
  if (topic.isError || !head) {
    if (topic.error instanceof ApiError && topic.error.status === 404) return <NotFoundPage />;
    return <ErrorNotice error={topic.error} />;
  }
  const ctx: PostContext = {
    topic: head,
    online,
    firstUnreadId: firstUnread,
    lastVisitAt: openedHere?.lastVisitAt ?? null,
    onReply: (post) => startReply(post),
    onQuote: (post, text) => {
      setReplyTo(post);
      composer.current?.insert(quote(text, person(post.author).display_name));
    },
    preview,
    mentions,
  };
  const locked = head.is_locked && !atLeast(role, "moderator");
  const gapAt = gapIndex(thread, posts, gap);
  const submit = () => {
    create.mutate({ content: draft, ...(replyTo ? { parent_id: replyTo.id } : {}), ...(attachments.length ? { attachments } : {}) }, {
      onSuccess: () => {
        clearDraft();
        setReplyTo(null);
        setAttachmentRound((n) => n + 1);
      },
    });
  };
  return (
    <div className="mx-auto max-w-4xl space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link className="text-blue-700 hover:underline dark:text-blue-300" to={orgPath(slug, "forums", head.forum_id)}>← Back to the forum</Link>
      </nav>
      <OpeningPost topic={head} online={online} />
      {atLeast(role, "moderator") && <ModeratorTools topic={head} />}
      <section aria-label={`${head.reply_count} replies`} className="space-y-3">
        <h2 className="text-lg font-semibold">{head.reply_count} {head.reply_count === 1 ? "reply" : "replies"}</h2>
        {thread.map((node, i) => (
          <Fragment key={node.post.id}>
            {i === gapAt && gap && <GapButton gap={gap} />}
            <PostView node={node} ctx={ctx} depth={0} />
          </Fragment>
        ))}
        {topic.hasNextPage && (
          <div className="text-center">
            <Button variant="secondary" onClick={() => void topic.fetchNextPage()} busy={topic.isFetchingNextPage}>Load more replies</Button>
          </div>
        )}
      </section>
      <TypingLine topicId={topicId} />
      {canPost && !locked ? (
        <Card>
          <div className="p-4">
            {replyTo && (
              <p className="mb-2 flex items-center gap-2 text-sm">
                Replying to {person(replyTo.author).display_name}
                <Button size="sm" variant="ghost" onClick={() => setReplyTo(null)}>Reply to the topic instead</Button>
              </p>
            )}
            <Composer ref={composer} label="Reply" submitLabel="Post reply" value={draft} onChange={setDraft} onSubmit={submit}
              onTyping={sendTyping} busy={create.isPending} error={create.error}
              mentions={mentions} preview={preview}
              hint="Markdown works. Ctrl+Enter sends. Press ? for keyboard shortcuts." />
            <div className="mt-2"><AttachmentPicker slug={slug} onChange={setAttachments} resetKey={attachmentRound} /></div>
          </div>
        </Card>
      ) : head.is_locked ? (
        <p className="rounded-md bg-gray-100 p-3 text-sm dark:bg-gray-800">This topic is locked: no new replies.</p>
      ) : null}
      <ShortcutsDialog shortcuts={shortcuts} open={dialog.open} onClose={dialog.close} />
    </div>
  );
}
