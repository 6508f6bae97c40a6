// Header widgets shown to members of the current community (search box, notifications bell, ...).
// An area adds its widget here; each is a component with no props that reads `useOrg()` itself.

import type { ComponentType } from "react";

import { NotificationBell } from "@/features/notifications/components/bell";
import { SearchBox } from "@/features/search/components/search-box";

export const headerWidgets: { key: string; Widget: ComponentType }[] = [
  { key: "search", Widget: SearchBox },
  { key: "notifications", Widget: NotificationBell },
];
