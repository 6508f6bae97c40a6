// Shapes every area shares. Area-specific shapes live in that feature's api/.

export type Role = "owner" | "admin" | "moderator" | "member" | "guest";
export const ROLES: Role[] = ["owner", "admin", "moderator", "member", "guest"];

export function atLeast(role: Role | null | undefined, minimum: Role): boolean {
  if (!role) return false;
  return ROLES.indexOf(role) <= ROLES.indexOf(minimum);
}

export interface UserRef {
  id: string;
  display_name: string;
  avatar_url?: string | null;
}

export interface OrgRef {
  id: string;
  slug: string;
  name: string;
}

export interface Organization extends OrgRef {
  description: string | null;
  is_public: boolean;
  logo_url: string | null;
  member_limit: number | null;
  current_member_count: number;
  subscription_tier: string;
  custom_domain: string | null;
  branding: Record<string, unknown>;
  settings: Record<string, unknown>;
  created_at: string;
}

export interface Membership {
  organization: OrgRef;
  role: Role;
  status: string;
  joined_at: string;
}

export interface Me {
  user: UserRef & { email: string; created_at: string; email_verified?: boolean };
  memberships: Membership[];
  unread_messages: number;
  unread_notifications: number;
}

export interface Page {
  next_cursor: string | null;
}
