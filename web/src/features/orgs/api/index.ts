import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, withQuery } from "@/lib/api";
import { onFrame } from "@/lib/live";
import { meKey } from "@/lib/session-hooks";
import type { Organization, Page } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export const orgKeys = {
  one: (slug: string) => ["org", slug] as const,
  directory: ["orgs", "public"] as const,
};

// The org's profile, branding or domain changed (another admin, another tab, the domain checker):
// refetch it, so names, logo and theme follow at once on every screen.
onFrame("organization_updated", (_, client) => {
  void invalidateAfterWrite(client, ["org"]);
  void invalidateAfterWrite(client, meKey);
});

export function fetchOrg(slug: string) {
  return api.get<{ organization: Organization }>(`/api/orgs/${encodeURIComponent(slug)}`);
}

export function useOrgQuery(slug: string) {
  return useQuery({ queryKey: orgKeys.one(slug), queryFn: () => fetchOrg(slug), retry: false });
}

export type DirectoryEntry = Pick<Organization, "id" | "slug" | "name" | "description" | "logo_url" | "current_member_count">;

export function usePublicOrgs() {
  return useInfiniteQuery({
    queryKey: orgKeys.directory,
    queryFn: ({ pageParam }) => api.get<{ organizations: DirectoryEntry[] } & Page>(withQuery("/api/orgs", { public: true, limit: 24, cursor: pageParam })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    retry: false,
  });
}

export function useCreateOrg() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; slug?: string; description?: string }) =>
      api.post<{ organization: Organization }>("/api/orgs", body),
    onSuccess: () => invalidateAfterWrite(client, meKey),
  });
}

export function useUpdateOrg(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Partial<Pick<Organization, "name" | "description" | "logo_url" | "settings">> & { is_public?: boolean }) =>
      api.patch<{ organization: Organization }>(`/api/orgs/${encodeURIComponent(slug)}`, body),
    onSuccess: (answer) => {
      client.setQueryData(orgKeys.one(slug), answer);
      void invalidateAfterWrite(client, meKey);
    },
  });
}

export function useDeleteOrg(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.del(`/api/orgs/${encodeURIComponent(slug)}`),
    onSuccess: () => invalidateAfterWrite(client, meKey),
  });
}
