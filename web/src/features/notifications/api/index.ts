import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from "@tanstack/react-query";

import { api, withQuery } from "@/lib/api";
import { onFrame } from "@/lib/live";
import { meKey } from "@/lib/session-hooks";
import type { Me, Page } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export interface Notification {
  id: string;
  org_id: string;
  kind: string;
  /** Who did it, as they were named then; null when withheld (not `available`) or unknown. */
  actor_name?: string | null;
  title: string;
  excerpt: string;
  subject: { type: string; id: string | null };
  data: { topic_id?: string; post_id?: string; conversation_id?: string; message_id?: string; forum_id?: string };
  created_at: string;
  is_read: boolean;
  /** false: its subject is no longer mine to read (the server withholds title and excerpt). */
  available?: boolean;
}

type NotificationPage = { notifications: Notification[]; unread_count: number } & Page;

export const notificationKeys = {
  list: ["notifications", "list"] as const,
  count: ["notifications", "count"] as const,
};

// A new notification: the count goes up by one in place, and the list refetches if it is open.
onFrame("notification", (frame, client) => {
  const n = frame.notification as Notification | undefined;
  if (!n) return;
  client.setQueryData<number>(notificationKeys.count, (c) => (c ?? 0) + 1);
  // A message notification also means a conversation has a new unread message (the Messages badge).
  if (n.kind === "message") {
    void invalidateAfterWrite(client, meKey);
    void invalidateAfterWrite(client, ["conversations"]);
  }
  client.setQueryData<InfiniteData<NotificationPage>>(notificationKeys.list, (d) => d && {
    ...d, pages: d.pages.map((p, i) => (i === 0 ? { ...p, notifications: [n, ...p.notifications.filter((x) => x.id !== n.id)] } : p)),
  });
});

export function useUnreadCount(enabled: boolean) {
  const client = useQueryClient();
  return useQuery({
    queryKey: notificationKeys.count,
    queryFn: async () => {
      const me = client.getQueryData<Me>(meKey);
      if (me) return me.unread_notifications;
      return (await api.get<NotificationPage>(withQuery("/api/notifications", { unread: true, limit: 1 }))).unread_count;
    },
    enabled,
    staleTime: 60_000,
  });
}

export function useNotifications() {
  return useInfiniteQuery({
    queryKey: notificationKeys.list,
    queryFn: ({ pageParam }) => api.get<NotificationPage>(withQuery("/api/notifications", { cursor: pageParam, limit: 30 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useMarkNotificationsRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { ids: string[] } | { all: true }) => api.post<{ unread_count?: number }>("/api/notifications/read", body),
    onSuccess: (answer, body) => {
      client.setQueryData<InfiniteData<NotificationPage>>(notificationKeys.list, (d) => d && {
        ...d, pages: d.pages.map((p) => ({ ...p, notifications: p.notifications.map((n) => ("all" in body || body.ids.includes(n.id) ? { ...n, is_read: true } : n)) })),
      });
      if (typeof answer?.unread_count === "number") client.setQueryData(notificationKeys.count, answer.unread_count);
      else void invalidateAfterWrite(client, notificationKeys.count);
      void invalidateAfterWrite(client, meKey);
    },
  });
}
