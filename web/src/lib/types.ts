// Shapes every area shares, from the generated API description (src/api/schema.d.ts).
// Area-specific shapes live in that feature's api/.

import type { components } from "@/api/schema";

export type Schemas = components["schemas"];

export type Role = "owner" | "admin" | "moderator" | "member" | "guest";
export const ROLES: Role[] = ["owner", "admin", "moderator", "member", "guest"];

export function atLeast(role: Role | null | undefined, minimum: Role): boolean {
  if (!role) return false;
  return ROLES.indexOf(role) <= ROLES.indexOf(minimum);
}

export type UserRef = Schemas["UserRef"];

/** Who wrote something whose account is gone: the server answers `author: null`. */
export const DELETED_USER: UserRef = { id: "deleted", display_name: "Deleted account", avatar_url: null };

export function person(ref: UserRef | null | undefined): UserRef {
  return ref ?? DELETED_USER;
}

export interface OrgRef {
  id: string;
  slug: string;
  name: string;
}

export type Organization = Schemas["Organization"];

export interface Membership {
  organization: OrgRef;
  role: Role;
  status: string;
  joined_at: string;
}

export type Me = Schemas["Me"];

export interface Page {
  next_cursor: string | null;
}
