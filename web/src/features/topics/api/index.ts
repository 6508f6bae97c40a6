import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useEffect, useRef } from "react";

import { api, withQuery } from "@/lib/api";

import { addPost, fillGap, markSolution, openedAt, reactionChanged, removePost, replacePost, topicKey, unreadCursorBeyond, updateTopic, type TopicData } from "./cache";
import { registerTopicEvents } from "./live";
import type { Post, Revision, Topic, TopicPage } from "./types";
import { invalidateAfterWrite } from "@/lib/query-client";

registerTopicEvents();

export * from "./types";
export { buildThread, countReplies, topicKey, type ThreadNode } from "./cache";

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

const FIRST_PAGE = 20;
const PAGE = 50;

/** The first page; and when my first unread post lies beyond it, the page from there too (a regular
 * opens a topic where they stopped reading, with the posts in between a click away). */
async function openTopic(slug: string, topicId: string): Promise<TopicPage> {
  const path = `${base(slug)}/topics/${topicId}`;
  const first = await api.get<TopicPage>(withQuery(path, { limit: FIRST_PAGE }));
  const cursor = unreadCursorBeyond(first);
  return openedAt(first, cursor ? await api.get<TopicPage>(withQuery(path, { cursor, limit: PAGE })) : null);
}

export function useTopic(slug: string, topicId: string) {
  return useInfiniteQuery({
    queryKey: topicKey(slug, topicId),
    // A short first page shows the topic fast; "load more" then brings 50 at a time.
    queryFn: ({ pageParam }) => pageParam === null ? openTopic(slug, topicId)
      : api.get<TopicPage>(withQuery(`${base(slug)}/topics/${topicId}`, { cursor: pageParam, limit: PAGE })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    staleTime: 60_000,
  });
}

/** Brings the posts between the first page and the first unread one (100 at a time). */
export function useFillGap(slug: string, topicId: string) {
  const update = useTopicCache(slug, topicId);
  return useMutation({
    mutationFn: (cursor: string) => api.get<TopicPage>(withQuery(`${base(slug)}/topics/${topicId}`, { cursor, limit: 100 })),
    onSuccess: (page) => update((d) => fillGap(d, page)),
  });
}

function useTopicCache(slug: string, topicId: string) {
  const client = useQueryClient();
  return (change: (data: TopicData) => TopicData) =>
    client.setQueryData<TopicData>(topicKey(slug, topicId), (data) => (data ? change(data) : data));
}

export function useCreatePost(slug: string, topicId: string) {
  const update = useTopicCache(slug, topicId);
  return useMutation({
    mutationFn: (body: { content: string; parent_id?: string; attachments?: string[] }) => api.post<{ post: Post }>(`${base(slug)}/topics/${topicId}/posts`, body),
    onSuccess: ({ post }) => update((d) => addPost(d, post)),
  });
}

export function useEditPost(slug: string, topicId: string) {
  const update = useTopicCache(slug, topicId);
  return useMutation({
    mutationFn: ({ id, content }: { id: string; content: string }) => api.patch<{ post: Post }>(`${base(slug)}/posts/${id}`, { content }),
    onSuccess: ({ post }) => update((d) => replacePost(d, post, false)),
  });
}

export function useDeletePost(slug: string, topicId: string) {
  const update = useTopicCache(slug, topicId);
  return useMutation({
    mutationFn: (id: string) => api.del(`${base(slug)}/posts/${id}`),
    onSuccess: (_, id) => update((d) => removePost(d, id)),
  });
}

export function useReact(slug: string, topicId: string) {
  const update = useTopicCache(slug, topicId);
  return useMutation({
    mutationFn: ({ id, emoji, on }: { id: string; emoji: string; on: boolean }) => {
      const path = `${base(slug)}/posts/${id}/reactions/${encodeURIComponent(emoji)}`;
      return on ? api.put<{ post: Post }>(path) : api.del<{ post: Post }>(path);
    },
    onMutate: ({ id, emoji, on }) => update((d) => reactionChanged(d, id, emoji, on ? 1 : -1, true)),
    onSuccess: ({ post }) => update((d) => replacePost(d, post, false)),
    onError: (_, { id, emoji, on }) => update((d) => reactionChanged(d, id, emoji, on ? -1 : 1, true)),
  });
}

export function useMarkSolution(slug: string, topicId: string) {
  const update = useTopicCache(slug, topicId);
  return useMutation({
    mutationFn: (id: string) => api.post<{ post: Post }>(`${base(slug)}/posts/${id}/solution`),
    onSuccess: ({ post }) => update((d) => markSolution(d, post.id)),
  });
}

export function useFlagPost(slug: string) {
  return useMutation({
    mutationFn: ({ id, reason }: { id: string; reason: string }) => api.post(`${base(slug)}/posts/${id}/flags`, { reason }),
  });
}

export function useUpdateTopic(slug: string, topicId: string) {
  const update = useTopicCache(slug, topicId);
  return useMutation({
    mutationFn: (body: Partial<Pick<Topic, "title" | "content" | "tags" | "is_pinned" | "is_locked" | "is_announcement">>) =>
      api.patch<{ topic: Topic }>(`${base(slug)}/topics/${topicId}`, body),
    onSuccess: ({ topic }) => update((d) => updateTopic(d, topic)),
  });
}

export function useDeleteTopic(slug: string, topicId: string) {
  return useMutation({ mutationFn: () => api.del(`${base(slug)}/topics/${topicId}`) });
}

export function useRevisions(slug: string, postId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["revisions", slug, postId],
    queryFn: () => api.get<{ revisions: Revision[] }>(`${base(slug)}/posts/${postId}/revisions`),
    enabled,
  });
}

/** Moves my read position to the newest post I have seen here (forward only, stored by the server, so it
 * follows me to other devices). `newestSeen` changes as posts scroll into view; one call per pause. */
export function useReadPosition(slug: string, topicId: string, newestSeen: string | null, stored: string | null) {
  const client = useQueryClient();
  const sent = useRef<string | null>(null);
  useEffect(() => {
    if (!newestSeen || newestSeen === stored || newestSeen === sent.current) return;
    const timer = setTimeout(() => {
      sent.current = newestSeen;
      void api.put(`${base(slug)}/topics/${topicId}/read`, { post_id: newestSeen })
        .then(() => invalidateAfterWrite(client, ["forum-topics", slug]), () => { sent.current = null; });
    }, 400);
    return () => clearTimeout(timer);
  }, [slug, topicId, newestSeen, stored, client]);
}
