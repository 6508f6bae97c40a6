import { Badge } from "@/components/ui/card";

import type { MyRegistration } from "../api";

export function registrationText(registration: MyRegistration | null): string | null {
  if (!registration) return null;
  switch (registration.status) {
    case "going": return "You're going";
    case "interested": return "You're interested";
    case "not_going": return "You're not going";
    case "waitlisted": return `Waitlist: #${registration.position ?? "?"}`;
  }
}

export function RegistrationBadge({ registration }: { registration: MyRegistration | null }) {
  const text = registrationText(registration);
  if (!text || !registration) return null;
  const tone = registration.status === "going" ? "green" : registration.status === "waitlisted" ? "amber" : "gray";
  return <Badge tone={tone}>{text}</Badge>;
}
