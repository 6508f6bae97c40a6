import { Link, Outlet } from "react-router";

import { useMe } from "@/lib/session-hooks";

import { AccountMenu } from "./account-menu";

/** The bar above the signed-in screens that belong to no community (start page, create a community). */
export function SiteLayout() {
  const me = useMe();
  return (
    <>
      <header className="bg-white shadow-sm dark:bg-gray-900">
        <div className="mx-auto flex max-w-7xl items-center justify-between px-4 py-2 sm:px-6 lg:px-8">
          <Link to="/" className="text-lg font-bold text-blue-700 dark:text-blue-300">Community</Link>
          {me.data && <AccountMenu me={me.data} />}
        </div>
      </header>
      <Outlet />
    </>
  );
}
