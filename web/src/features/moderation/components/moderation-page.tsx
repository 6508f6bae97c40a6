import { useState } from "react";
import { Link } from "react-router";

import { Button } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { orgPath, useOrg } from "@/lib/org";
import { fullTime, timeAgo } from "@/lib/time";
import { atLeast } from "@/lib/types";

import { useFlaggedPost, useFlags, useLog, useResolveFlag, type Flag } from "../api";

function FlagItem({ flag }: { flag: Flag }) {
  const { slug } = useOrg();
  const post = useFlaggedPost(slug, flag.post_id);
  const resolve = useResolveFlag(slug);
  return (
    <li className="space-y-2 px-4 py-4 sm:px-6">
      <p className="text-sm">
        <span className="font-medium">{flag.reporter?.display_name ?? "Someone"}</span> flagged a post: <q>{flag.reason}</q>
        <span className="text-gray-600 dark:text-gray-400"> · {timeAgo(flag.created_at)}</span>
      </p>
      <div className="rounded-md bg-gray-50 p-3 text-sm dark:bg-gray-800">
        {post.isPending ? <ListSkeleton rows={1} label="Loading the post" /> : post.isError ? <p className="italic">The post is no longer available.</p> : (
          <>
            <p className="text-xs text-gray-600 dark:text-gray-400">By {post.data.post.author.display_name}{post.data.post.is_hidden ? " · hidden" : ""}</p>
            {/* Server-rendered and sanitised (nh3): the only HTML the app ever injects. */}
            <div className="prose-post" dangerouslySetInnerHTML={{ __html: post.data.post.html }} />
          </>
        )}
        <Link to={`${orgPath(slug, "topics", flag.topic_id)}#post-${flag.post_id}`} className="text-xs text-blue-700 underline dark:text-blue-300">Open in the topic</Link>
      </div>
      {flag.status === "open" ? (
        <div className="flex flex-wrap gap-2" role="group" aria-label="Resolve the flag">
          <Button size="sm" variant="secondary" busy={resolve.isPending && resolve.variables.action === "dismiss"} onClick={() => resolve.mutate({ id: flag.id, action: "dismiss" })}>Dismiss</Button>
          <Button size="sm" variant="secondary" busy={resolve.isPending && resolve.variables.action === "hide"} onClick={() => resolve.mutate({ id: flag.id, action: "hide" })}>Hide post</Button>
          <Button size="sm" variant="danger" busy={resolve.isPending && resolve.variables.action === "delete"} onClick={() => resolve.mutate({ id: flag.id, action: "delete" })}>Delete post</Button>
        </div>
      ) : <p className="text-sm"><Badge>{flag.status}</Badge> {flag.resolution}</p>}
      <ErrorNotice error={resolve.error} />
    </li>
  );
}

const ACTIONS: Record<string, string> = {
  set_is_pinned: "pinned or unpinned a topic", set_is_locked: "locked or unlocked a topic", set_is_announcement: "changed an announcement",
  hide_post: "hid a post", delete_post: "deleted a post", dismiss_flag: "dismissed a flag", suspend_member: "suspended a member",
};

function Log() {
  const { slug } = useOrg();
  const log = useLog(slug);
  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <Card title="Moderation log">
      {log.isPending ? <ListSkeleton label="Loading the moderation log" /> : log.isError ? <div className="p-4"><ErrorNotice error={log.error} /></div>
        : entries.length === 0 ? <EmptyState title="No moderation actions yet" /> : (
          <ul className="divide-y divide-gray-200 text-sm dark:divide-gray-800">
            {entries.map((e) => (
              <li key={e.id} className="flex flex-wrap justify-between gap-2 px-4 py-2 sm:px-6">
                <span><span className="font-medium">{e.actor?.display_name ?? "System"}</span> {ACTIONS[e.action] ?? e.action.replace(/_/g, " ")}
                  {e.target_type === "topic" && <> · <Link className="text-blue-700 underline dark:text-blue-300" to={orgPath(slug, "topics", e.target_id)}>topic</Link></>}
                </span>
                <time dateTime={e.created_at} title={fullTime(e.created_at)} className="text-xs text-gray-600 dark:text-gray-400">{timeAgo(e.created_at)}</time>
              </li>
            ))}
          </ul>
        )}
      {log.hasNextPage && <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800"><Button variant="secondary" onClick={() => void log.fetchNextPage()}>Older entries</Button></div>}
    </Card>
  );
}

export function ModerationPage() {
  const { slug, role } = useOrg();
  const [status, setStatus] = useState<Flag["status"]>("open");
  const flags = useFlags(slug, status);
  const list = flags.data?.pages.flatMap((p) => p.flags) ?? [];
  return (
    <div className="space-y-6">
      <PageHeader title="Moderation" />
      <Card title="Flagged posts" action={
        <div role="group" aria-label="Show flags" className="flex gap-1 text-sm">
          {(["open", "resolved", "dismissed"] as const).map((s) => (
            <button key={s} type="button" aria-pressed={status === s} onClick={() => setStatus(s)} className={`rounded px-2 py-0.5 capitalize ${status === s ? "bg-gray-200 dark:bg-gray-700" : ""}`}>{s}</button>
          ))}
        </div>
      }>
        {flags.isPending ? <ListSkeleton label="Loading flags" /> : flags.isError ? <div className="p-4"><ErrorNotice error={flags.error} /></div>
          : list.length === 0 ? <EmptyState title={status === "open" ? "The queue is empty" : `No ${status} flags`} /> : (
            <ul className="divide-y divide-gray-200 dark:divide-gray-800">{list.map((f) => <FlagItem key={f.id} flag={f} />)}</ul>
          )}
        {flags.hasNextPage && <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800"><Button variant="secondary" onClick={() => void flags.fetchNextPage()}>More flags</Button></div>}
      </Card>
      {/* The log is for admins (permission moderation.log); moderators see the queue only. */}
      {atLeast(role, "admin") && <Log />}
    </div>
  );
}
