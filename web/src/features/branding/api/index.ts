import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/api/schema";
import { api } from "@/lib/api";
import { meKey } from "@/lib/session-hooks";
import type { Organization } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export type Domain = components["schemas"]["Domain"];
export type BrandingBody = components["schemas"]["BrandingBody"];

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

export const brandingKeys = {
  domain: (slug: string) => ["domain", slug] as const,
  org: (slug: string) => ["org", slug] as const, // the orgs feature's key: the org page reads branding from it
};

export function useSaveBranding(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (branding: BrandingBody) => api.patch<{ organization: Organization }>(base(slug), { branding }),
    onSuccess: (answer) => {
      client.setQueryData(brandingKeys.org(slug), answer);
      void invalidateAfterWrite(client, meKey);
    },
  });
}

export function useRemoveLogo(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.patch<{ organization: Organization }>(base(slug), { logo_url: null }),
    onSuccess: (answer) => client.setQueryData(brandingKeys.org(slug), answer),
  });
}

export function useDomain(slug: string) {
  return useQuery({
    queryKey: brandingKeys.domain(slug),
    queryFn: () => api.get<{ domain: Domain | null }>(`${base(slug)}/domain`),
    retry: false,
  });
}

function useDomainMutation<T>(slug: string, call: (value: T) => Promise<{ domain: Domain } | undefined>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: (answer) => {
      client.setQueryData(brandingKeys.domain(slug), { domain: answer?.domain ?? null });
      void invalidateAfterWrite(client, brandingKeys.org(slug));
    },
  });
}

export function useSetDomain(slug: string) {
  return useDomainMutation(slug, (domain: string) => api.put<{ domain: Domain }>(`${base(slug)}/domain`, { domain }));
}

export function useVerifyDomain(slug: string) {
  const client = useQueryClient();
  const mutation = useDomainMutation(slug, () => api.post<{ domain: Domain }>(`${base(slug)}/domain/verify`));
  // A refused check (503: DNS did not answer) is recorded too: show it.
  return { ...mutation, mutate: () => mutation.mutate(undefined, { onError: () => void invalidateAfterWrite(client, brandingKeys.domain(slug)) }) };
}

export function useRemoveDomain(slug: string) {
  return useDomainMutation(slug, async () => {
    await api.del(`${base(slug)}/domain`);
    return undefined;
  });
}
