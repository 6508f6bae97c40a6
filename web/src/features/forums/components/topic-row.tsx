import { Link } from "react-router";

import { Avatar } from "@/components/ui/avatar";
import { Badge } from "@/components/ui/card";
import { orgPath, useOrg } from "@/lib/org";
import { fullTime, timeAgo } from "@/lib/time";
import { person } from "@/lib/types";

import type { TopicSummary } from "../api";

export function TopicRow({ topic, lastVisitAt, visitLine }: { topic: TopicSummary; lastVisitAt: string | null; visitLine: boolean }) {
  const { slug } = useOrg();
  const unread = topic.unread_count;
  const sinceVisit = lastVisitAt !== null && Date.parse(topic.last_activity_at) > Date.parse(lastVisitAt);
  return (
    <li className="px-4 py-3 sm:px-6">
      {visitLine && (
        <p className="-mt-1 mb-2 flex items-center gap-2 text-xs font-semibold text-red-700 dark:text-red-400">
          <span aria-hidden="true" className="h-px flex-1 bg-red-300" /> Your last visit <span aria-hidden="true" className="h-px flex-1 bg-red-300" />
        </p>
      )}
      <div className="flex gap-3">
      <Avatar user={person(topic.author)} size="sm" />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-1.5">
          {topic.is_pinned && <Badge tone="blue">Pinned</Badge>}
          {topic.is_announcement && <Badge tone="purple">Announcement</Badge>}
          {topic.is_locked && <Badge>Locked</Badge>}
          {topic.solution_post_id && <Badge tone="green">Solved</Badge>}
          <Link to={orgPath(slug, "topics", topic.id)} className="font-medium break-words text-gray-900 hover:underline dark:text-gray-100">{topic.title}</Link>
          {topic.is_new && <Badge tone="amber">New</Badge>}
          {!topic.is_new && unread > 0 && <span className="rounded-full bg-blue-700 px-1.5 text-xs text-white">{unread} unread</span>}
          {sinceVisit && !topic.is_new && <span className="size-2 rounded-full bg-red-600" role="img" aria-label="Active since your last visit" title="Active since your last visit" />}
        </div>
        <p className="mt-0.5 text-xs text-gray-600 dark:text-gray-400">
          {person(topic.author).display_name} · {topic.reply_count} {topic.reply_count === 1 ? "reply" : "replies"} · {topic.view_count} {topic.view_count === 1 ? "view" : "views"} · active{" "}
          <time dateTime={topic.last_activity_at} title={fullTime(topic.last_activity_at)}>{timeAgo(topic.last_activity_at)}</time>
        </p>
        {topic.tags.length > 0 && (
          <ul aria-label="Tags" className="mt-1 flex flex-wrap gap-1">
            {topic.tags.map((tag) => <li key={tag}><Badge>#{tag}</Badge></li>)}
          </ul>
        )}
      </div>
      </div>
    </li>
  );
}
