import { Link } from "react-router";

import { orgPath, useOrg } from "@/lib/org";

import { useUnreadCount } from "../api";

/** The header's bell: the live count of unread notifications, a link to the list. */
export function NotificationBell() {
  const { slug } = useOrg();
  const count = useUnreadCount(true).data ?? 0;
  const label = count > 0 ? `Notifications, ${count} unread` : "Notifications";
  return (
    <Link to={orgPath(slug, "notifications")} aria-label={label} className="relative rounded-full p-2 text-gray-700 hover:bg-gray-100 dark:text-gray-200 dark:hover:bg-gray-800">
      <svg aria-hidden="true" viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2">
        <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" /><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
      </svg>
      {count > 0 && (
        <span aria-hidden="true" className="absolute -top-0.5 -right-0.5 min-w-5 rounded-full bg-red-700 px-1 text-center text-xs font-semibold text-white">{count > 99 ? "99+" : count}</span>
      )}
    </Link>
  );
}
