import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, withQuery } from "@/lib/api";
import type { Schemas } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export type Forum = Schemas["ForumNode"];

/** A topic in a forum's list, with my reading state (`is_new`: never opened; `unread_count` after my position). */
export type TopicSummary = Schemas["ForumTopic"];

type ForumPage = Schemas["ForumPage"];

export const forumKeys = {
  all: (slug: string) => ["forums", slug] as const,
  topics: (slug: string, forumId: string) => ["forum-topics", slug, forumId] as const,
};

export function useForums(slug: string) {
  return useQuery({
    queryKey: forumKeys.all(slug),
    queryFn: () => api.get<{ forums: Forum[] }>(`/api/orgs/${encodeURIComponent(slug)}/forums`),
  });
}

export function useForumTopics(slug: string, forumId: string) {
  return useInfiniteQuery({
    queryKey: forumKeys.topics(slug, forumId),
    queryFn: ({ pageParam }) => api.get<ForumPage>(withQuery(`/api/orgs/${encodeURIComponent(slug)}/forums/${forumId}`, { cursor: pageParam, limit: 25 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useCreateForum(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; description?: string; parent_id?: string; is_private?: boolean; required_role?: string }) =>
      api.post<{ forum: Forum }>(`/api/orgs/${encodeURIComponent(slug)}/forums`, body),
    onSuccess: () => invalidateAfterWrite(client, forumKeys.all(slug)),
  });
}

export function useCreateTopic(slug: string, forumId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { title: string; content: string; tags?: string[] }) =>
      api.post<{ topic: Schemas["Topic"] }>(`/api/orgs/${encodeURIComponent(slug)}/forums/${forumId}/topics`, body),
    onSuccess: () => invalidateAfterWrite(client, forumKeys.topics(slug, forumId)),
  });
}

/** Flattens the forum tree into [forum, depth] pairs, parents first. */
export function flattenForums(forums: Forum[], depth = 0): [Forum, number][] {
  return forums.flatMap((f) => [[f, depth] as [Forum, number], ...flattenForums(f.children, depth + 1)]);
}
