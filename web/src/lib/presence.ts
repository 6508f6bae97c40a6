// Who is online in the current community: GET /presence once, then `presence` frames keep it current.

import { useQuery } from "@tanstack/react-query";

import { api } from "./api";
import { onFrame } from "./live";
import type { UserRef } from "./types";

interface Online {
  online: { user: UserRef; since: string }[];
}

export const presenceKey = (slug: string) => ["presence", slug] as const;

onFrame("presence", (frame, client) => {
  const userId = String(frame.user_id);
  for (const [key, data] of client.getQueriesData<Online>({ queryKey: ["presence"] })) {
    if (!data) continue;
    const others = data.online.filter((o) => o.user.id !== userId);
    const online = frame.status === "online"
      ? [...others, { user: { id: userId, display_name: String(frame.user_name ?? ""), avatar_url: null }, since: new Date().toISOString() }]
      : others;
    client.setQueryData<Online>(key, { online });
  }
});

/** The ids of the people online now; undefined until known (so no dot is drawn rather than a wrong one). */
export function useOnline(slug: string, enabled = true): Set<string> | undefined {
  const query = useQuery({
    queryKey: presenceKey(slug),
    queryFn: () => api.get<Online>(`/api/orgs/${encodeURIComponent(slug)}/presence`),
    enabled,
    staleTime: 60_000,
    select: (data) => new Set(data.online.map((o) => o.user.id)),
  });
  return query.data;
}
