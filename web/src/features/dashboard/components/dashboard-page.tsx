// The seed's OrganizationDashboard, ported: stats, forums, recent activity, member overview, upcoming
// events and quick actions, over GET /api/orgs/{org}/dashboard.

import { Link } from "react-router";

import { buttonClass } from "@/components/ui/button";
import { Badge, Card } from "@/components/ui/card";
import { EmptyState, ErrorNotice, Skeleton } from "@/components/ui/feedback";
import { quickActions } from "@/lib/extensions";
import { orgPath, useOrg } from "@/lib/org";
import { fullTime, timeAgo } from "@/lib/time";
import { atLeast, ROLES } from "@/lib/types";

import { useDashboard, type Activity, type Dashboard, type ForumSummary } from "../api";

function DashboardSkeleton() {
  return (
    <div role="status" aria-label="Loading the dashboard" className="space-y-8">
      <Skeleton className="h-10 w-1/2" />
      <div className="grid grid-cols-2 gap-4 md:grid-cols-4">
        {[0, 1, 2, 3].map((i) => <Skeleton key={i} className="h-24" />)}
      </div>
      <div className="grid grid-cols-1 gap-8 lg:grid-cols-3">
        <Skeleton className="h-64 lg:col-span-2" />
        <Skeleton className="h-64" />
      </div>
    </div>
  );
}

function Stat({ value, label, tone }: { value: number; label: string; tone: string }) {
  return (
    <div className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-gray-200 sm:p-6 dark:bg-gray-900 dark:ring-gray-800">
      <div className={`text-2xl font-bold ${tone}`}>{value}</div>
      <div className="text-sm text-gray-700 dark:text-gray-300">{label}</div>
    </div>
  );
}

function ForumList({ forums }: { forums: ForumSummary[] }) {
  const { slug } = useOrg();
  if (forums.length === 0) return <EmptyState title="No forums yet">An admin can create the first forum.</EmptyState>;
  return (
    <ul className="divide-y divide-gray-200 dark:divide-gray-800">
      {forums.map((forum) => (
        <li key={forum.id} className="px-4 py-4 sm:px-6">
          <div className="flex flex-wrap items-center gap-2">
            <Link to={orgPath(slug, "forums", forum.id)} className="font-medium text-blue-700 hover:underline dark:text-blue-300">{forum.name}</Link>
            {forum.is_private && <Badge tone="amber">Private</Badge>}
          </div>
          {forum.description && <p className="text-sm text-gray-700 dark:text-gray-300">{forum.description}</p>}
          <p className="mt-1 text-xs text-gray-600 dark:text-gray-400">
            {forum.topic_count} topics · {forum.post_count} posts{forum.last_post_at ? ` · last post ${timeAgo(forum.last_post_at)}` : ""}
          </p>
          {forum.children.length > 0 && (
            <ul className="mt-2 flex flex-wrap gap-2">
              {forum.children.map((child) => (
                <li key={child.id}>
                  <Link to={orgPath(slug, "forums", child.id)} className="text-sm text-blue-700 hover:underline dark:text-blue-300">{child.name}</Link>
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

function describe(activity: Activity): { text: string; to: string | null } {
  const who = activity.post?.author.display_name ?? activity.topic?.author.display_name ?? activity.membership?.user?.display_name ?? "Someone";
  switch (activity.type) {
    case "topic_created":
      return { text: `${who} started “${activity.topic?.title ?? "a topic"}”`, to: activity.topic ? `topics/${activity.topic.id}` : null };
    case "post_created":
      return { text: activity.topic_title ? `${who} replied in “${activity.topic_title}”` : `${who} replied`, to: activity.post ? `topics/${activity.post.topic_id}` : null };
    case "reaction_added":
      return { text: `Someone reacted ${activity.emoji ?? ""} to ${who}’s post`, to: activity.post ? `topics/${activity.post.topic_id}` : null };
    case "member_joined":
      return { text: `${who} joined the community`, to: null };
    case "solution_marked":
      return { text: `A solution was marked`, to: activity.post ? `topics/${activity.post.topic_id}` : null };
    case "forum_created": {
      const forum = activity.forum as { id?: string; name?: string } | undefined;
      return { text: `A new forum: ${forum?.name ?? "untitled"}`, to: forum?.id ? `forums/${forum.id}` : null };
    }
    case "announcement_published":
      return { text: `Announcement: “${activity.topic?.title ?? ""}”`, to: activity.topic ? `topics/${activity.topic.id}` : null };
    case "organization_updated":
      return { text: "The community’s profile was updated", to: null };
    default:
      return { text: activity.type.replace(/_/g, " "), to: null };
  }
}

function RecentActivity({ activities }: { activities: Activity[] }) {
  const { slug } = useOrg();
  if (activities.length === 0) return <EmptyState title="Nothing has happened yet">New topics and replies show up here.</EmptyState>;
  return (
    <ul className="divide-y divide-gray-200 dark:divide-gray-800">
      {activities.slice(0, 12).map((activity) => {
        const { text, to } = describe(activity);
        return (
          <li key={activity.id} className="flex items-start justify-between gap-3 px-4 py-3 text-sm sm:px-6">
            {to ? <Link to={orgPath(slug, ...to.split("/"))} className="text-gray-900 hover:underline dark:text-gray-100">{text}</Link> : <span>{text}</span>}
            <time dateTime={activity.created_at} title={fullTime(activity.created_at)} className="shrink-0 text-xs text-gray-600 dark:text-gray-400">{timeAgo(activity.created_at)}</time>
          </li>
        );
      })}
    </ul>
  );
}

function MemberStats({ stats, limit, count }: { stats: Dashboard["member_stats"]; limit: number | null; count: number }) {
  return (
    <div className="space-y-3 p-4 sm:p-6">
      <p className="text-sm">
        <span className="font-semibold">{count}</span>{limit ? ` of ${limit} seats used` : " members"} ·{" "}
        {stats.joined_last_30_days} joined in the last 30 days
      </p>
      <dl className="grid grid-cols-2 gap-2 text-sm">
        {ROLES.map((role) => (
          <div key={role} className="flex justify-between rounded bg-gray-50 px-2 py-1 dark:bg-gray-800">
            <dt className="capitalize">{role}s</dt>
            <dd className="font-medium">{stats.by_role[role] ?? 0}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function EventCalendar({ slug, events }: { slug: string; events: Dashboard["upcoming_events"] }) {
  if (events.length === 0) return <EmptyState title="No upcoming events" />;
  return (
    <ul className="divide-y divide-gray-200 dark:divide-gray-800">
      {events.map((event) => (
        <li key={event.occurrence_id} className="px-4 py-3 text-sm sm:px-6">
          <Link to={`${orgPath(slug, "events", event.id)}?occurrence=${encodeURIComponent(event.occurrence_id)}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">{event.title}</Link>
          <p className="text-gray-600 dark:text-gray-400"><time dateTime={event.start_time}>{fullTime(event.start_time)}</time>{event.location ? ` · ${event.location}` : ""}</p>
        </li>
      ))}
    </ul>
  );
}

export function DashboardPage() {
  const { slug, role } = useOrg();
  const dashboard = useDashboard(slug);
  if (dashboard.isPending) return <DashboardSkeleton />;
  if (dashboard.isError) return <ErrorNotice error={dashboard.error} />;
  const data = dashboard.data;
  const actions = quickActions.filter((a) => atLeast(role, a.minRole));
  const headerActions = actions.filter((a) => a.primary);
  // The seed's Quick Actions card lists the secondary actions; the primary ones are the header's buttons.
  const listActions = actions.filter((a) => !a.primary);
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const link = (to: string) => `${orgPath(slug)}/${to}`;
  return (
    <div className="space-y-8">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-center sm:justify-between">
        <div className="min-w-0">
          <h1 className="text-3xl font-bold break-words">{data.organization.name}</h1>
          <p className="text-gray-700 dark:text-gray-300">
            {plural(data.stats.member_count, "member", "members")} • {plural(data.stats.active_discussions, "active discussion", "active discussions")}
          </p>
        </div>
        {headerActions.length > 0 && (
          <div className="flex flex-wrap gap-3">
            {headerActions.map((a) => <Link key={a.label} to={link(a.to)} className={buttonClass("primary")}>{a.label}</Link>)}
          </div>
        )}
      </div>

      <div className="grid grid-cols-1 gap-8 lg:grid-cols-3">
        <div className="space-y-8 lg:col-span-2">
          <div className="grid grid-cols-2 gap-4 md:grid-cols-4">
            <Stat value={data.stats.total_posts} label="Total Posts" tone="text-blue-700 dark:text-blue-300" />
            <Stat value={data.stats.active_members} label="Active Members" tone="text-green-700 dark:text-green-300" />
            <Stat value={data.stats.upcoming_events} label="Upcoming Events" tone="text-purple-700 dark:text-purple-300" />
            <Stat value={data.stats.shared_resources} label="Resources" tone="text-orange-700 dark:text-orange-300" />
          </div>
          {data.announcements && data.announcements.length > 0 && (
            <Card title="Announcements">
              <ul className="divide-y divide-gray-200 dark:divide-gray-800">
                {data.announcements.map((a) => (
                  <li key={a.id} className="px-4 py-3 sm:px-6">
                    <Link to={orgPath(slug, "topics", a.id)} className="font-medium text-blue-700 hover:underline dark:text-blue-300">{a.title}</Link>
                    <p className="line-clamp-2 text-sm text-gray-700 dark:text-gray-300">{a.excerpt}</p>
                  </li>
                ))}
              </ul>
            </Card>
          )}
          <Card title="Community Forums"><ForumList forums={data.forums} /></Card>
          <Card title="Recent Activity"><RecentActivity activities={data.recent_activity} /></Card>
        </div>
        <div className="space-y-8">
          <Card title="Member Overview" headingLevel={2}>
            <MemberStats stats={data.member_stats} limit={data.organization.member_limit} count={data.organization.current_member_count} />
          </Card>
          <Card title="Upcoming Events"><EventCalendar slug={slug} events={data.upcoming_events} /></Card>
          {listActions.length > 0 && (
            <Card title="Quick Actions">
              <ul className="space-y-3 p-4 sm:p-6">
                {listActions.map((a) => (
                  <li key={a.label}>
                    <Link to={link(a.to)} className="block w-full rounded-md border border-gray-300 p-3 text-left hover:bg-gray-50 dark:border-gray-700 dark:hover:bg-gray-800">{a.label}</Link>
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      </div>
    </div>
  );
}
