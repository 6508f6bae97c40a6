import { createContext, useContext, type ReactNode } from "react";

import type { Organization, Role } from "./types";

export interface OrgContextValue {
  slug: string;
  org: Organization;
  /** The signed-in person's role here; null for a visitor of a public org. */
  role: Role | null;
  userId: string | null;
}

const OrgContext = createContext<OrgContextValue | null>(null);

export function OrgProvider({ value, children }: { value: OrgContextValue; children: ReactNode }) {
  return <OrgContext.Provider value={value}>{children}</OrgContext.Provider>;
}

export function useOrg(): OrgContextValue {
  const value = useContext(OrgContext);
  if (value === null) throw new Error("useOrg outside an organization's screens");
  return value;
}

export function orgPath(slug: string, ...parts: string[]): string {
  return ["", encodeURIComponent(slug), ...parts].join("/");
}
