// Links in the account menu; the account area adds its screens here.

export const accountLinks: { to: string; label: string }[] = [
  { to: "/me", label: "Your account" },
  { to: "/me/calendar", label: "Calendar feed" },
];
