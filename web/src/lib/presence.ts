// Who is online in the current community: GET /presence once, then `presence` frames keep it current.
// A screen that shows the online list subscribes to `presence:<org id>` while it is shown: the server
// answers the whole list (`snapshot`), then every change; other screens hear only about the people
// they share a conversation with.

import { useQuery } from "@tanstack/react-query";

import { api } from "./api";
import { onFrame } from "./live";
import { useOrg } from "./org";
import type { Frame } from "./realtime";
import { useChannel } from "./realtime-context";
import type { UserRef } from "./types";

interface Online {
  online: { user: UserRef; since: string }[];
}

interface Change {
  user_id: string;
  user_name?: string;
  status: "online" | "offline";
}

export const presenceKey = (slug: string) => ["presence", slug] as const;

/** The changes a frame carries: `users` (any number), or the single change at its top. */
export function changesOf(frame: Frame): Change[] {
  if (Array.isArray(frame.users)) return frame.users as Change[];
  if (typeof frame.user_id === "string") return [frame as unknown as Change];
  return [];
}

/** The online list after a frame: a snapshot of the whole list replaces it, changes edit it in place. */
export function applyPresence(data: Online, frame: Frame, now = new Date().toISOString()): Online {
  const changes = changesOf(frame);
  const whole = frame.snapshot === true && String(frame.channel ?? "").startsWith("presence:");
  const changed = new Set(changes.map((c) => String(c.user_id)));
  const kept = whole ? [] : data.online.filter((o) => !changed.has(o.user.id));
  const before = new Map(data.online.map((o) => [o.user.id, o]));
  const came = changes.filter((c) => c.status === "online").map((c) => before.get(String(c.user_id)) ?? {
    user: { id: String(c.user_id), display_name: String(c.user_name ?? ""), avatar_url: null }, since: now });
  return { online: [...kept, ...came] };
}

onFrame("presence", (frame, client) => {
  for (const [key, data] of client.getQueriesData<Online>({ queryKey: ["presence"] })) {
    if (data) client.setQueryData<Online>(key, applyPresence(data, frame));
  }
});

/** The ids of the people online now; undefined until known (so no dot is drawn rather than a wrong one). */
export function useOnline(slug: string, enabled = true): Set<string> | undefined {
  const { org } = useOrg();
  useChannel(enabled ? `presence:${org.id}` : null);
  const query = useQuery({
    queryKey: presenceKey(slug),
    queryFn: () => api.get<Online>(`/api/orgs/${encodeURIComponent(slug)}/presence`),
    enabled,
    staleTime: 60_000,
    select: (data) => new Set(data.online.map((o) => o.user.id)),
  });
  return query.data;
}
