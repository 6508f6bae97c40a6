import type { Schemas, UserRef } from "@/lib/types";

export type Post = Schemas["Post"];

export type Topic = Schemas["Topic"];

/** The person's place in the topic (members only; absent on servers without read positions). */
export interface ReadState {
  last_read_post_id: string | null;
  first_unread_post_id: string | null;
  unread_count: number;
  unread_cursor: string | null;
}

export type TopicPage = Schemas["TopicPage"] & { read?: ReadState | null; last_visit_at?: string | null };

export interface Revision {
  id: string;
  previous_content: string;
  edited_at: string;
  editor: UserRef | null;
}

export const REACTIONS = ["👍", "👎", "❤️", "🎉", "😄", "😕", "🚀", "👀"] as const;
