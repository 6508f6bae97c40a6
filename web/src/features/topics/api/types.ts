import type { Page, UserRef } from "@/lib/types";

export interface Post {
  id: string;
  topic_id: string;
  parent_id: string | null;
  author: UserRef;
  content: string;
  html: string;
  is_solution: boolean;
  is_deleted?: boolean;
  is_hidden?: boolean;
  reactions: Record<string, number>;
  my_reactions: string[];
  edit_count: number;
  created_at: string;
  last_edited_at: string | null;
}

export interface Topic {
  id: string;
  forum_id: string;
  title: string;
  slug: string;
  author: UserRef;
  content: string;
  html: string;
  tags: string[];
  is_pinned: boolean;
  is_locked: boolean;
  is_announcement: boolean;
  reply_count: number;
  view_count: number;
  solution_post_id: string | null;
  edit_count: number;
  created_at: string;
  last_edited_at: string | null;
  last_activity_at: string;
  /** The person's read position, when the server answers it. */
  last_read_post_id?: string | null;
  first_unread_post_id?: string | null;
}

export type TopicPage = { topic: Topic; posts: Post[] } & Page;

export interface Revision {
  id: string;
  previous_content: string;
  edited_at: string;
  editor: UserRef | null;
}

export const REACTIONS = ["👍", "👎", "❤️", "🎉", "😄", "😕", "🚀", "👀"] as const;
