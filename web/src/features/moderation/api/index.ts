import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, withQuery } from "@/lib/api";
import type { Page, UserRef } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export interface Flag {
  id: string;
  post_id: string;
  topic_id: string;
  forum_id: string;
  reason: string;
  status: "open" | "resolved" | "dismissed";
  resolution: string | null;
  resolved_at: string | null;
  created_at: string;
  reporter: UserRef | null;
}

export interface LogEntry {
  id: number;
  action: string;
  target_type: string;
  target_id: string;
  details: Record<string, unknown>;
  created_at: string;
  actor: UserRef | null;
}

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

export const moderationKeys = {
  flags: (slug: string, status: string) => ["moderation", slug, "flags", status] as const,
  log: (slug: string) => ["moderation", slug, "log"] as const,
};

export function useFlags(slug: string, status: Flag["status"]) {
  return useInfiniteQuery({
    queryKey: moderationKeys.flags(slug, status),
    queryFn: ({ pageParam }) => api.get<{ flags: Flag[] } & Page>(withQuery(`${base(slug)}/moderation/flags`, { status, cursor: pageParam, limit: 20 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useLog(slug: string) {
  return useInfiniteQuery({
    queryKey: moderationKeys.log(slug),
    queryFn: ({ pageParam }) => api.get<{ entries: LogEntry[] } & Page>(withQuery(`${base(slug)}/moderation/log`, { cursor: pageParam, limit: 30 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useFlaggedPost(slug: string, postId: string) {
  return useQuery({
    queryKey: ["moderation", slug, "post", postId],
    queryFn: () => api.get<{ post: { id: string; html: string; author: UserRef; is_hidden?: boolean; is_deleted?: boolean } }>(`${base(slug)}/posts/${postId}`),
    retry: false,
  });
}

export function useResolveFlag(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action, note }: { id: string; action: "hide" | "delete" | "dismiss"; note?: string }) =>
      api.post(`${base(slug)}/moderation/flags/${id}/resolve`, { action, ...(note ? { note } : {}) }),
    onSuccess: () => invalidateAfterWrite(client, ["moderation", slug]),
  });
}
