// Dashboard quick actions. An action is listed only when its screen exists and the person's role may use
// it (no dead buttons): an area adds its own entry here when it adds the screen.

import type { Role } from "./types";

export interface QuickAction {
  label: string;
  /** Relative to `/{org}/`. */
  to: string;
  minRole: Role;
  primary?: boolean;
}

export const quickActions: QuickAction[] = [
  { label: "Invite Members", to: "members#invite", minRole: "admin", primary: true },
  { label: "Create Event", to: "events/new", minRole: "moderator", primary: true },
  { label: "Create New Forum", to: "forums#new-forum", minRole: "admin" },
  { label: "Schedule Event", to: "events/new", minRole: "moderator" },
  { label: "Send Announcement", to: "new-topic?announce=1", minRole: "moderator" },
  { label: "Upload Resource", to: "resources?upload=1", minRole: "moderator" },
];
