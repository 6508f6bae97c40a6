import { useMutation, useQuery } from "@tanstack/react-query";

import type { components } from "@/api/schema";
import { api } from "@/lib/api";

export type BillingState = components["schemas"]["BillingState"];
export type Invoice = components["schemas"]["Invoice"];
export type Tier = "community" | "organization" | "enterprise" | "custom";

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}/billing`;

export const billingKeys = {
  state: (slug: string) => ["billing", slug] as const,
};

export function useBilling(slug: string) {
  return useQuery({
    queryKey: billingKeys.state(slug),
    queryFn: () => api.get<{ billing: BillingState }>(base(slug)),
    select: (data) => data.billing,
  });
}

/** Both answer a Stripe URL the browser then opens (Checkout, or the customer portal). */
export function useCheckout(slug: string) {
  return useMutation({
    mutationFn: (tier: Tier) => api.post<{ url: string }>(`${base(slug)}/checkout`, { tier }),
    onSuccess: ({ url }) => window.location.assign(url),
  });
}

export function usePortal(slug: string) {
  return useMutation({
    mutationFn: () => api.post<{ url: string }>(`${base(slug)}/portal`),
    onSuccess: ({ url }) => window.location.assign(url),
  });
}
