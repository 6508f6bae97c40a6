import { useQuery } from "@tanstack/react-query";

import { api } from "@/lib/api";
import type { Organization, UserRef } from "@/lib/types";

export interface ForumSummary {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  parent_id: string | null;
  is_private: boolean;
  required_role: string;
  topic_count: number;
  post_count: number;
  last_post_at: string | null;
  children: ForumSummary[];
}

export interface Activity {
  id: number;
  type: string;
  channel: string;
  actor_id: string | null;
  created_at: string;
  topic?: { id: string; title: string; author: UserRef };
  post?: { id: string; topic_id: string; author: UserRef; content: string };
  /** post_created: the topic's title when the reply was posted. */
  topic_title?: string;
  membership?: { user?: UserRef; role?: string };
  emoji?: string;
  [key: string]: unknown;
}

export interface UpcomingEvent {
  id: string;
  occurrence_id: string;
  title: string;
  start_time: string;
  location?: string | null;
}

export interface Dashboard {
  organization: Organization;
  stats: { member_count: number; active_discussions: number; total_posts: number; active_members: number; upcoming_events: number; shared_resources: number };
  forums: ForumSummary[];
  recent_activity: Activity[];
  member_stats: { by_role: Record<string, number>; joined_last_30_days: number };
  upcoming_events: UpcomingEvent[];
  announcements?: { id: string; title: string; excerpt: string; author: UserRef; created_at: string }[];
}

export const dashboardKey = (slug: string) => ["dashboard", slug] as const;

export function useDashboard(slug: string) {
  return useQuery({ queryKey: dashboardKey(slug), queryFn: () => api.get<Dashboard>(`/api/orgs/${encodeURIComponent(slug)}/dashboard`) });
}
