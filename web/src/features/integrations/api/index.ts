import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { components } from "@/api/schema";
import { api, withQuery } from "@/lib/api";
import { invalidateAfterWrite } from "@/lib/query-client";

export type Integration = components["schemas"]["Integration"];
export type IntegrationWithSecret = components["schemas"]["IntegrationWithSecret"];
export type Delivery = components["schemas"]["Delivery"];
export type Kind = Integration["kind"];

export const EVENT_TYPES = [
  { value: "topic_created", label: "New topics" },
  { value: "post_created", label: "New replies" },
  { value: "solution_marked", label: "Solutions marked" },
  { value: "member_joined", label: "Members joining" },
  { value: "event_created", label: "New events" },
  { value: "resource_created", label: "New resources" },
] as const;
export type EventName = (typeof EVENT_TYPES)[number]["value"];

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}/integrations`;

export const integrationKeys = {
  all: (slug: string) => ["integrations", slug] as const,
  deliveries: (slug: string, id: string) => ["integrations", slug, id, "deliveries"] as const,
};

export function useIntegrations(slug: string) {
  return useQuery({
    queryKey: integrationKeys.all(slug),
    queryFn: () => api.get<{ integrations: Integration[] }>(base(slug)),
    select: (data) => data.integrations,
  });
}

export function useCreateIntegration(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { kind: Kind; url: string; events: EventName[]; name?: string }) =>
      api.post<{ integration: IntegrationWithSecret }>(base(slug), body),
    onSuccess: () => invalidateAfterWrite(client, integrationKeys.all(slug)),
  });
}

export function useUpdateIntegration(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string; enabled?: boolean; events?: EventName[] }) =>
      api.patch<{ integration: Integration }>(`${base(slug)}/${id}`, body),
    onSuccess: () => invalidateAfterWrite(client, integrationKeys.all(slug)),
  });
}

export function useDeleteIntegration(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.del(`${base(slug)}/${id}`),
    onSuccess: () => invalidateAfterWrite(client, integrationKeys.all(slug)),
  });
}

export function useRotateSecret(slug: string) {
  return useMutation({
    mutationFn: (id: string) => api.post<{ integration: IntegrationWithSecret }>(`${base(slug)}/${id}/secret`),
  });
}

export function useTestIntegration(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<{ delivery: Delivery }>(`${base(slug)}/${id}/test`),
    onSuccess: (_, id) => invalidateAfterWrite(client, integrationKeys.deliveries(slug, id)),
  });
}

export function useRedeliver(slug: string, integrationId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) => api.post<{ delivery: Delivery }>(`${base(slug)}/${integrationId}/deliveries/${deliveryId}/redeliver`),
    onSuccess: () => invalidateAfterWrite(client, integrationKeys.deliveries(slug, integrationId)),
  });
}

export function useDeliveries(slug: string, integrationId: string) {
  return useInfiniteQuery({
    queryKey: integrationKeys.deliveries(slug, integrationId),
    queryFn: ({ pageParam }) => api.get<{ deliveries: Delivery[]; next_cursor: string | null }>(withQuery(`${base(slug)}/${integrationId}/deliveries`, { cursor: pageParam, limit: 20 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    // Pending deliveries change under us (the deliverer retries them): keep the log fresh while shown.
    refetchInterval: (query) => (query.state.data?.pages.some((p) => p.deliveries.some((d) => d.status === "pending")) ? 2000 : false),
  });
}
