// Header widgets shown to members of the current community (search box, notifications bell, ...).
// An area adds its widget here; each is a component with no props that reads `useOrg()` itself.

import type { ComponentType } from "react";

export const headerWidgets: { key: string; Widget: ComponentType }[] = [];
