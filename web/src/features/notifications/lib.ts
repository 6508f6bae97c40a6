import type { Notification } from "./api";

/** What a notification's line says: who did what where ("Ana replied in Launch plan"). */
export const UNAVAILABLE = "No longer available to you";

type Said = Pick<Notification, "kind" | "title" | "actor_name" | "available">;

const VERBS: Record<string, string> = {
  reply: "replied in",
  mention: "mentioned you in",
  watched_topic: "posted in",
  watched_forum: "started",
  announcement: "announced",
};

export function notificationText(n: Said): string {
  // A subject I may no longer read keeps no title and no name (the server withholds both).
  if (n.available === false) return UNAVAILABLE;
  const verb = VERBS[n.kind];
  const actor = n.actor_name?.trim();
  // Messages carry their own line ("Ana in Launch crew"); an unknown actor leaves the title alone.
  if (!verb || !actor) return n.title;
  return n.title ? `${actor} ${verb} ${n.title}` : `${actor} ${verb} a topic`;
}
