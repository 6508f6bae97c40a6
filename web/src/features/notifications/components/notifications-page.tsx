import { useNavigate } from "react-router";

import { Button } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { useMe } from "@/lib/session-hooks";
import { timeAgo } from "@/lib/time";

import { useMarkNotificationsRead, useNotifications, type Notification } from "../api";
import { notificationText } from "../lib";

const KINDS: Record<string, string> = {
  mention: "Mention", reply: "Reply", watched_topic: "Watched topic", watched_forum: "Watched forum", announcement: "Announcement", message: "Message",
};

function target(n: Notification, slug: string | undefined): string | null {
  if (!slug) return null;
  if (n.data.conversation_id) return `/${encodeURIComponent(slug)}/messages/${n.data.conversation_id}`;
  if (n.data.topic_id) return `/${encodeURIComponent(slug)}/topics/${n.data.topic_id}${n.data.post_id ? `#post-${n.data.post_id}` : ""}`;
  if (n.kind === "domain_unverified") return `/${encodeURIComponent(slug)}/settings`; // where the domain is verified again
  return null;
}

export function NotificationsPage() {
  const notifications = useNotifications();
  const mark = useMarkNotificationsRead();
  const me = useMe();
  const navigate = useNavigate();
  const slugOf = (orgId: string) => me.data?.memberships.find((m) => m.organization.id === orgId)?.organization.slug;
  const list = notifications.data?.pages.flatMap((p) => p.notifications) ?? [];
  const unread = list.some((n) => !n.is_read);
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="Notifications" actions={unread ? <Button variant="secondary" busy={mark.isPending} onClick={() => mark.mutate({ all: true })}>Mark all as read</Button> : undefined} />
      <ErrorNotice error={mark.error} className="mb-4" />
      <Card>
        {notifications.isPending ? <ListSkeleton label="Loading notifications" /> : notifications.isError ? <div className="p-4"><ErrorNotice error={notifications.error} /></div>
          : list.length === 0 ? <EmptyState title="Nothing yet">Mentions, replies to you, watched topics and messages show up here.</EmptyState> : (
            <ul className="divide-y divide-gray-200 dark:divide-gray-800">
              {list.map((n) => {
                // A subject I may no longer read (hidden, deleted, a forum closed to me) keeps no title or link.
                const available = n.available !== false;
                const to = available ? target(n, slugOf(n.org_id)) : null;
                const title = notificationText(n);
                const open = () => {
                  if (!n.is_read) mark.mutate({ ids: [n.id] });
                  if (to) navigate(to);
                };
                return (
                  <li key={n.id} className={`flex items-start gap-3 px-4 py-3 sm:px-6 ${n.is_read ? "" : "bg-blue-50 dark:bg-blue-950/40"}`}>
                    <div className="min-w-0 flex-1">
                      <p className="flex flex-wrap items-center gap-2 text-sm">
                        <Badge tone={n.is_read ? "gray" : "blue"}>{KINDS[n.kind] ?? n.kind}</Badge>
                        {to ? <button type="button" onClick={open} className={`text-left hover:underline ${n.is_read ? "" : "font-semibold"}`}>{title}</button> : <span className={available ? "" : "text-gray-600 italic dark:text-gray-400"}>{title}</span>}
                      </p>
                      {n.excerpt && <p className="mt-1 line-clamp-2 text-sm text-gray-700 dark:text-gray-300">{n.excerpt}</p>}
                      <p className="text-xs text-gray-600 dark:text-gray-400">{timeAgo(n.created_at)}</p>
                    </div>
                    {!n.is_read && <Button size="sm" variant="ghost" onClick={() => mark.mutate({ ids: [n.id] })}>Mark read</Button>}
                  </li>
                );
              })}
            </ul>
          )}
        {notifications.hasNextPage && (
          <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800">
            <Button variant="secondary" onClick={() => void notifications.fetchNextPage()} busy={notifications.isFetchingNextPage}>Load more</Button>
          </div>
        )}
      </Card>
    </div>
  );
}
