import { Link, useParams } from "react-router";

import { Button, LinkButton } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { NotFoundPage } from "@/features/errors";
import { ApiError } from "@/lib/api";
import { orgPath, useOrg } from "@/lib/org";
import { useChannel } from "@/lib/realtime-context";
import { atLeast } from "@/lib/types";

import { useForums, useForumTopics, type Forum, type TopicSummary } from "../api";
import { TopicRow } from "./topic-row";

function findForum(forums: Forum[], id: string): Forum | undefined {
  for (const f of forums) {
    if (f.id === id) return f;
    const inner = findForum(f.children, id);
    if (inner) return inner;
  }
  return undefined;
}

export function ForumPage() {
  const { forumId = "" } = useParams();
  const { slug, role } = useOrg();
  const topics = useForumTopics(slug, forumId);
  const forums = useForums(slug);
  useChannel(`forum:${forumId}`);

  if (topics.isPending) return <ListSkeleton rows={6} label="Loading topics" />;
  if (topics.isError) {
    if (topics.error instanceof ApiError && topics.error.status === 404) return <NotFoundPage />;
    return <ErrorNotice error={topics.error} />;
  }
  const forum = topics.data.pages[0]?.forum;
  if (!forum) return <NotFoundPage />;
  const list = topics.data.pages.flatMap((p) => p.topics);
  // Discourse's "last visit" line: above the first topic (after the pinned ones) not active since then.
  const lastVisit = topics.data.pages[0]?.last_visit_at ?? null;
  const since = (t: TopicSummary) => lastVisit !== null && Date.parse(t.last_activity_at) > Date.parse(lastVisit);
  const firstOld = list.findIndex((t) => !t.is_pinned && !since(t));
  const visitLine = firstOld > 0 && list.slice(0, firstOld).some((t) => !t.is_pinned && since(t)) ? firstOld : -1;
  const children = forums.data ? findForum(forums.data.forums, forum.id)?.children ?? [] : [];
  const parent = forum.parent_id && forums.data ? findForum(forums.data.forums, forum.parent_id) : undefined;
  return (
    <div className="space-y-6">
      {parent && (
        <nav aria-label="Breadcrumb" className="text-sm">
          <Link className="text-blue-700 hover:underline dark:text-blue-300" to={orgPath(slug, "forums")}>Forums</Link>
          {" / "}
          <Link className="text-blue-700 hover:underline dark:text-blue-300" to={orgPath(slug, "forums", parent.id)}>{parent.name}</Link>
        </nav>
      )}
      <PageHeader
        title={forum.name}
        subtitle={<>{forum.description}{forum.is_private && <> <Badge tone="amber">Private</Badge></>}</>}
        actions={atLeast(role, "member") ? <LinkButton to={orgPath(slug, "forums", forum.id, "new")}>New topic</LinkButton> : undefined}
      />
      {children.length > 0 && (
        <Card title="Sub-forums">
          <ul className="divide-y divide-gray-200 dark:divide-gray-800">
            {children.map((c) => (
              <li key={c.id} className="px-4 py-3 sm:px-6">
                <Link to={orgPath(slug, "forums", c.id)} className="font-medium text-blue-700 hover:underline dark:text-blue-300">{c.name}</Link>
                {c.is_private && <> <Badge tone="amber">Private</Badge></>}
                <span className="text-sm text-gray-600 dark:text-gray-400"> · {c.topic_count} topics</span>
              </li>
            ))}
          </ul>
        </Card>
      )}
      <Card title="Topics">
        {list.length === 0 ? (
          <EmptyState title="No topics yet">{atLeast(role, "member") ? "Start the first conversation." : null}</EmptyState>
        ) : (
          <ul className="divide-y divide-gray-200 dark:divide-gray-800">
            {list.map((t, i) => <TopicRow key={t.id} topic={t} lastVisitAt={lastVisit} visitLine={i === visitLine} />)}
          </ul>
        )}
        {topics.hasNextPage && (
          <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800">
            <Button variant="secondary" onClick={() => void topics.fetchNextPage()} busy={topics.isFetchingNextPage}>Load more topics</Button>
          </div>
        )}
      </Card>
    </div>
  );
}
