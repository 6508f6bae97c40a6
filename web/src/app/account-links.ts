// Links in the account menu; the account area adds its screens here.
import { serverFeatures } from "@/lib/server-features";

export const accountLinks: { to: string; label: string }[] = [
  ...(serverFeatures.accounts ? [{ to: "/me", label: "Your account" }] : []),
  { to: "/me/calendar", label: "Calendar feed" },
];
