// "New since your last visit": the server keeps where each visit ended; the app says when the person is here.

import { useQuery } from "@tanstack/react-query";

import { api } from "./api";

/** Records the visit on opening the org and every few minutes while it stays open (a visit ends after
 * 30 minutes away, so this keeps the current one going); pages then answer `last_visit_at` from it. */
export function useVisit(slug: string, member: boolean): void {
  useQuery({
    queryKey: ["visit", slug],
    queryFn: () => api.post<{ visit: { last_visit_at: string | null; last_seen_at: string } }>(`/api/orgs/${encodeURIComponent(slug)}/visits`),
    enabled: member,
    staleTime: Infinity,
    refetchInterval: 10 * 60_000,
    refetchOnWindowFocus: false,
    retry: false,
  });
}
