import type { Schemas, UserRef } from "@/lib/types";

export type Post = Schemas["Post"];

export type Topic = Schemas["Topic"];

/** The person's place in the topic, stored by the server (members only). */
export type ReadState = Schemas["TopicReadPosition"];

/** Where posts not loaded yet belong when the topic opened at a first unread post beyond its first page:
 * after the post `after`, from `cursor` on, up to the first post already loaded. */
export interface Gap {
  after: string;
  cursor: string;
}

/** A page as the app keeps it: the server's, and the gap the app left when it jumped ahead. */
export type TopicPage = Schemas["TopicPage"] & { gap?: Gap | null };

export interface Revision {
  id: string;
  previous_content: string;
  edited_at: string;
  editor: UserRef | null;
}

export const REACTIONS = ["👍", "👎", "❤️", "🎉", "😄", "😕", "🚀", "👀"] as const;
