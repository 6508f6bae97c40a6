import { QueryClient } from "@tanstack/react-query";

import { ApiError } from "./api";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        // A 4xx will answer the same again; only network trouble and 5xx are worth a retry.
        retry: (count, error) => count < 2 && (!(error instanceof ApiError) || error.status === 0 || error.status >= 500),
      },
    },
  });
}

/**
 * Invalidate after a write, and never keep an answer read before it: TanStack Query dedupes a query's
 * FIRST fetch (no data yet) instead of restarting it on invalidation, so a list opened together with the
 * write that fills it (Send test opens the delivery log) kept the empty answer it read before the commit.
 * Cancelling what is in flight first makes the refetch a new read. Every invalidation after a mutation or
 * a live event goes through here. Two do not: the socket's resync (its welcome) invalidates everything
 * as every screen first loads, and restarting those first reads would double each page's reads; and the
 * session's own `me` refresh (a refused socket, another tab's sign-in), whose 401 ends the session.
 */
export async function invalidateAfterWrite(client: QueryClient, queryKey: readonly unknown[]): Promise<void> {
  await client.cancelQueries({ queryKey });
  await client.invalidateQueries({ queryKey });
}
