import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link, useLocation, useNavigate } from "react-router";

import { Avatar } from "@/components/ui/avatar";
import { auth0Enabled, auth0Logout } from "@/lib/auth0";
import { signOutHere } from "@/features/account/api";
import type { Me } from "@/lib/types";

import { accountLinks } from "./account-links";

export function AccountMenu({ me }: { me: Me }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const details = useRef<HTMLDetailsElement>(null);
  const location = useLocation();
  useEffect(() => {
    if (details.current) details.current.open = false;
  }, [location.pathname]);
  const signOut = async () => {
    await signOutHere();
    client.clear();
    if (auth0Enabled()) void auth0Logout();
    else navigate("/login", { replace: true });
  };
  return (
    <details ref={details} className="relative">
      <summary className="flex cursor-pointer list-none items-center rounded-full p-0.5 hover:ring-2 hover:ring-gray-300">
        <Avatar user={me.user} size="sm" />
        <span className="sr-only">Account menu for {me.user.display_name}</span>
      </summary>
      <div className="absolute right-0 z-30 mt-1 w-56 rounded-md bg-white py-1 shadow-lg ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-700">
        <p className="truncate border-b border-gray-200 px-3 py-2 text-sm dark:border-gray-700">
          <span className="block font-medium">{me.user.display_name}</span>
          <span className="block truncate text-gray-600 dark:text-gray-400">{me.user.email}</span>
        </p>
        {accountLinks.map((link) => (
          <Link key={link.to} to={link.to} className="block px-3 py-2 text-sm hover:bg-gray-100 dark:hover:bg-gray-800">{link.label}</Link>
        ))}
        <Link to="/" className="block px-3 py-2 text-sm hover:bg-gray-100 dark:hover:bg-gray-800">All your communities</Link>
        <button type="button" onClick={() => void signOut()} className="block w-full px-3 py-2 text-left text-sm hover:bg-gray-100 dark:hover:bg-gray-800">Sign out</button>
      </div>
    </details>
  );
}
