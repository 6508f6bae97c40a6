import type { Schemas, UserRef } from "@/lib/types";

export type Post = Schemas["Post"];

export type Topic = Schemas["Topic"] & {
  /** The person's reading state, once the server answers it. */
  first_unread_post_id?: string | null;
};

export type TopicPage = Omit<Schemas["TopicPage"], "topic"> & { topic: Topic };

export interface Revision {
  id: string;
  previous_content: string;
  edited_at: string;
  editor: UserRef | null;
}

export const REACTIONS = ["👍", "👎", "❤️", "🎉", "😄", "😕", "🚀", "👀"] as const;
