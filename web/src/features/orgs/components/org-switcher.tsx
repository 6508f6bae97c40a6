import { useEffect, useRef } from "react";
import { Link, useLocation } from "react-router";

import type { Membership } from "@/lib/types";

/** The current community's name; opens a list of the person's other communities. */
export function OrgSwitcher({ current, memberships }: { current: { slug: string; name: string }; memberships: Membership[] }) {
  const details = useRef<HTMLDetailsElement>(null);
  const location = useLocation();
  useEffect(() => {
    if (details.current) details.current.open = false;
  }, [location.pathname]);
  const others = memberships.filter((m) => m.organization.slug !== current.slug && m.status !== "removed");
  return (
    <details ref={details} className="relative">
      <summary className="flex max-w-[8.5rem] cursor-pointer list-none items-center gap-1 truncate rounded-md px-2 py-1 font-semibold hover:bg-gray-100 sm:max-w-xs dark:hover:bg-gray-800">
        <span className="truncate">{current.name}</span>
        <span aria-hidden="true" className="text-xs">▾</span>
        <span className="sr-only">: switch community</span>
      </summary>
      <div className="absolute left-0 z-30 mt-1 w-64 rounded-md bg-white py-1 shadow-lg ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-700">
        {others.length > 0 && (
          <ul aria-label="Your other communities">
            {others.map((m) => (
              <li key={m.organization.id}>
                <Link className="block px-3 py-2 text-sm hover:bg-gray-100 dark:hover:bg-gray-800" to={`/${encodeURIComponent(m.organization.slug)}`}>
                  {m.organization.name}
                </Link>
              </li>
            ))}
          </ul>
        )}
        <Link className="block border-t border-gray-200 px-3 py-2 text-sm font-medium text-blue-700 hover:bg-gray-100 dark:border-gray-700 dark:text-blue-300 dark:hover:bg-gray-800" to="/new">
          Create a community
        </Link>
        <Link className="block px-3 py-2 text-sm hover:bg-gray-100 dark:hover:bg-gray-800" to="/">All your communities</Link>
      </div>
    </details>
  );
}
