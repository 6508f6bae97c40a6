// The one route table. An area adds its screens here: a lazy import of the screen from
// `@/features/<area>` and, for a screen that belongs in the org navigation, a `nav` entry.
// WEB.md in the shared notes explains it step by step.

import { lazy, type ComponentType, type LazyExoticComponent } from "react";

import type { Me, Role } from "@/lib/types";

type Screen = LazyExoticComponent<ComponentType>;

function screen<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K): Screen {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

export interface OrgRoute {
  /** Relative to `/{org}`; "" is the dashboard. */
  path: string;
  Screen: Screen;
  /** The lowest role that sees the screen (the server still decides what it answers). */
  minRole?: Role;
  nav?: { label: string; order: number; count?: (me: Me) => number };
  /** A visitor who is not signed in sees it (in a public org); every other screen asks them to sign in. */
  anonymous?: true;
}

export const publicRoutes: { path: string; Screen: Screen }[] = [
  { path: "/", Screen: screen(() => import("@/features/orgs"), "LandingPage") },
  { path: "/login", Screen: screen(() => import("@/features/auth"), "LoginPage") },
  { path: "/signup", Screen: screen(() => import("@/features/auth"), "SignupPage") },
  { path: "/invite/:token", Screen: screen(() => import("@/features/auth"), "InvitePage") },
  { path: "/reset-password", Screen: screen(() => import("@/features/account"), "ResetPasswordPage") },
  { path: "/verify-email", Screen: screen(() => import("@/features/account"), "VerifyEmailPage") },
];

export const signedInRoutes: { path: string; Screen: Screen }[] = [
  { path: "/new", Screen: screen(() => import("@/features/orgs"), "CreateOrgPage") },
  { path: "/me", Screen: screen(() => import("@/features/account"), "AccountPage") },
  { path: "/me/calendar", Screen: screen(() => import("@/features/events"), "CalendarFeedPage") },
];

export const orgRoutes: OrgRoute[] = [
  { path: "", Screen: screen(() => import("@/features/dashboard"), "DashboardPage"), nav: { label: "Dashboard", order: 0 } },
  { path: "forums", Screen: screen(() => import("@/features/forums"), "ForumsPage"), nav: { label: "Forums", order: 10 } },
  { path: "forums/:forumId", Screen: screen(() => import("@/features/forums"), "ForumPage") },
  { path: "forums/:forumId/new", Screen: screen(() => import("@/features/forums"), "NewTopicPage"), minRole: "member" },
  { path: "new-topic", Screen: screen(() => import("@/features/forums"), "NewTopicPage"), minRole: "member" },
  { path: "topics/:topicId", Screen: screen(() => import("@/features/topics"), "TopicPage") },
  { path: "events", Screen: screen(() => import("@/features/events"), "CalendarPage"), nav: { label: "Events", order: 15 }, anonymous: true },
  { path: "events/new", Screen: screen(() => import("@/features/events"), "NewEventPage"), minRole: "moderator" },
  { path: "events/:eventId", Screen: screen(() => import("@/features/events"), "EventPage"), anonymous: true },
  { path: "events/:eventId/edit", Screen: screen(() => import("@/features/events"), "EditEventPage"), minRole: "member" },
  { path: "messages", Screen: screen(() => import("@/features/messages"), "MessagesPage"), minRole: "guest", nav: { label: "Messages", order: 20, count: (me) => me.unread_messages } },
  { path: "messages/:conversationId", Screen: screen(() => import("@/features/messages"), "MessagesPage"), minRole: "guest" },
  { path: "search", Screen: screen(() => import("@/features/search"), "SearchPage"), minRole: "guest" },
  { path: "notifications", Screen: screen(() => import("@/features/notifications"), "NotificationsPage"), minRole: "guest" },
  { path: "moderation", Screen: screen(() => import("@/features/moderation"), "ModerationPage"), minRole: "moderator", nav: { label: "Moderation", order: 60 } },
  { path: "settings", Screen: screen(() => import("@/features/orgs"), "SettingsPage"), minRole: "admin", nav: { label: "Settings", order: 90 } },
  { path: "resources", Screen: screen(() => import("@/features/resources"), "ResourcesPage"), minRole: "guest", nav: { label: "Resources", order: 30 } },
  { path: "members", Screen: screen(() => import("@/features/members"), "MembersPage"), minRole: "member", nav: { label: "Members", order: 40 } },
  { path: "integrations", Screen: screen(() => import("@/features/integrations"), "IntegrationsPage"), minRole: "admin", nav: { label: "Integrations", order: 70 } },
  { path: "analytics", Screen: screen(() => import("@/features/analytics"), "AnalyticsPage"), minRole: "admin", nav: { label: "Analytics", order: 75 } },
  { path: "billing", Screen: screen(() => import("@/features/billing"), "BillingPage"), minRole: "admin", nav: { label: "Billing", order: 80 } },
];
