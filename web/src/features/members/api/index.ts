import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, withQuery } from "@/lib/api";
import { onFrame } from "@/lib/live";
import type { Page, Role, UserRef } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export interface Member {
  user: UserRef;
  role: Role;
  status: "active" | "suspended";
  joined_at: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  status: string;
  expires_at: string;
  created_at: string;
  token?: string;
}

export const memberKeys = {
  list: (slug: string) => ["members", slug, "list"] as const,
  invitations: (slug: string) => ["members", slug, "invitations"] as const,
};

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

// Joins, departures and role changes elsewhere: the member list refetches once, in the background.
onFrame(["member_joined", "member_left", "member_role_changed", "member_status_changed"], (_, client) => {
  void invalidateAfterWrite(client, ["members"]);
});

export function useMembers(slug: string) {
  return useInfiniteQuery({
    queryKey: memberKeys.list(slug),
    queryFn: ({ pageParam }) => api.get<{ members: Member[] } & Page>(withQuery(`${base(slug)}/members`, { cursor: pageParam, limit: 50 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useInvitations(slug: string, enabled: boolean) {
  return useQuery({
    queryKey: memberKeys.invitations(slug),
    queryFn: () => api.get<{ invitations: Invitation[] } & Page>(withQuery(`${base(slug)}/invitations`, { limit: 100 })),
    enabled,
  });
}

export function useInvite(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; role: Role }) => api.post<{ invitation: Invitation }>(`${base(slug)}/invitations`, body),
    onSuccess: () => invalidateAfterWrite(client, memberKeys.invitations(slug)),
  });
}

export function useRevokeInvitation(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.del(`${base(slug)}/invitations/${id}`),
    onSuccess: () => invalidateAfterWrite(client, memberKeys.invitations(slug)),
  });
}

export function useUpdateMember(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, ...body }: { userId: string; role?: Role; status?: "active" | "suspended" }) =>
      api.patch(`${base(slug)}/members/${userId}`, body),
    onSuccess: () => invalidateAfterWrite(client, memberKeys.list(slug)),
  });
}

export function useRemoveMember(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => api.del(`${base(slug)}/members/${userId}`),
    onSuccess: () => invalidateAfterWrite(client, memberKeys.list(slug)),
  });
}
