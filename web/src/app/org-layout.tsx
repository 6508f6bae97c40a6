import { useQueryClient } from "@tanstack/react-query";
import { Suspense, useCallback, type ReactNode } from "react";
import { Navigate, NavLink, Outlet, useLocation, useNavigate, useParams } from "react-router";

import { ListSkeleton } from "@/components/ui/feedback";
import { CsatPrompt } from "@/features/analytics/components/csat-prompt";
import { ForbiddenPage, NotFoundPage } from "@/features/errors";
import { OrgSwitcher, useOrgQuery } from "@/features/orgs";
import { ApiError } from "@/lib/api";
import { loginPath } from "@/lib/next-path";
import { OrgProvider, orgPath, useOrg } from "@/lib/org";
import { RealtimeProvider } from "@/lib/realtime-context";
import { useBrandTheme, type Branding } from "@/lib/theme";
import { useVisit } from "@/lib/visits";
import { meKey, useMe, useToken } from "@/lib/session-hooks";
import { atLeast, type Me, type Role } from "@/lib/types";

import { AccountMenu } from "./account-menu";
import { orgRoutes } from "./routes";
import { headerWidgets } from "./widgets";

function OrgNav({ me }: { me: Me | undefined }) {
  const { slug, role } = useOrg();
  const signedIn = me !== undefined;
  const items = orgRoutes
    .filter((r) => r.nav && (signedIn || r.anonymous) && (!r.minRole || atLeast(role, r.minRole)))
    .sort((a, b) => (a.nav?.order ?? 0) - (b.nav?.order ?? 0));
  return (
    <nav aria-label="Community" className="border-b border-gray-200 bg-white dark:border-gray-800 dark:bg-gray-900">
      <ul className="mx-auto flex max-w-7xl gap-1 overflow-x-auto px-2 sm:px-6 lg:px-8">
        {items.map((r) => {
          const count = me && r.nav?.count ? r.nav.count(me) : 0;
          return (
            <li key={r.path}>
              <NavLink end={r.path === ""} to={orgPath(slug, ...(r.path ? [r.path] : []))}
                className={({ isActive }) => `flex items-center gap-1.5 border-b-2 px-3 py-3 text-sm font-medium whitespace-nowrap ${isActive ? "border-blue-700 text-blue-800 dark:border-blue-400 dark:text-blue-200" : "border-transparent text-gray-700 hover:text-gray-900 dark:text-gray-300 dark:hover:text-white"}`}>
                {r.nav?.label}
                {count > 0 && <span className="rounded-full bg-blue-700 px-1.5 text-xs text-white" aria-label={`${count} unread`}>{count}</span>}
              </NavLink>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

/** The org's own bar: its logo and name in white on its accent colour (only when it has branding). */
function BrandBar() {
  const { org } = useOrg();
  const branding = org.branding as Branding;
  if (!org.logo_url && !branding.accent_color) return null;
  return (
    <div data-testid="brand-bar" className="brand-bar">
      <div className="mx-auto flex max-w-7xl items-center gap-2 px-3 py-1.5 sm:px-6 lg:px-8">
        {org.logo_url && <img src={org.logo_url} alt={`${org.name} logo`} className="h-7 w-7 shrink-0 rounded bg-white object-contain" />}
        <span className="truncate text-sm font-semibold">{org.name}</span>
      </div>
    </div>
  );
}

function Header({ me }: { me: Me | undefined }) {
  const { org, slug, role } = useOrg();
  return (
    <header className="bg-white shadow-sm dark:bg-gray-900">
      <BrandBar />
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-gray-900">Skip to content</a>
      <div className="mx-auto flex max-w-7xl items-center gap-2 px-2 py-2 sm:px-6 lg:px-8">
        {me ? <OrgSwitcher current={{ slug, name: org.name }} memberships={me.memberships} /> : <span className="px-2 font-semibold">{org.name}</span>}
        <div className="ml-auto flex items-center gap-1 sm:gap-2">
          {role && headerWidgets.map(({ key, Widget }) => <Widget key={key} />)}
          {me ? <AccountMenu me={me} /> : <NavLink className="rounded-md px-3 py-1.5 text-sm font-medium text-blue-700 dark:text-blue-300" to={loginPath(`/${slug}`)}>Sign in</NavLink>}
        </div>
      </div>
    </header>
  );
}

function Guarded({ minRole, anonymous, children }: { minRole: Role | undefined; anonymous: boolean; children: ReactNode }) {
  const { role } = useOrg();
  const location = useLocation();
  const signedIn = useToken() !== null;
  if (!signedIn && !anonymous) return <Navigate to={loginPath(location.pathname + location.search)} replace />;
  if (minRole && !atLeast(role, minRole)) {
    return signedIn ? <ForbiddenPage /> : <Navigate to={loginPath(location.pathname + location.search)} replace />;
  }
  return children;
}

export function orgRouteElement(route: (typeof orgRoutes)[number]) {
  return (
    <Guarded minRole={route.minRole} anonymous={route.anonymous === true}>
      <route.Screen />
    </Guarded>
  );
}

export function OrgLayout() {
  const { org: slug = "" } = useParams();
  const token = useToken();
  const me = useMe();
  const org = useOrgQuery(slug);
  useBrandTheme(org.data?.organization.branding as Branding | undefined);
  const location = useLocation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const memberHere = me.data?.memberships.some((m) => (m.organization.slug === slug || m.organization.id === slug) && m.status === "active") ?? false;
  useVisit(slug, memberHere);
  const onRefused = useCallback((code: number) => {
    // 4403: membership revoked; 4401: the token expired while connected.
    void client.invalidateQueries({ queryKey: meKey });
    if (code === 4403) navigate("/", { replace: true });
  }, [client, navigate]);

  if (org.isPending || (token && me.isPending)) return <ListSkeleton rows={6} label="Loading the community" />;
  if (org.isError) {
    const status = org.error instanceof ApiError ? org.error.status : 0;
    // A visitor (from the directory, or a shared link) signs in first, then comes back here.
    if ((status === 401 || status === 404) && !token) return <Navigate to={loginPath(location.pathname + location.search)} replace />;
    return status === 403 ? <ForbiddenPage /> : <NotFoundPage />;
  }
  const organization = org.data.organization;
  const membership = me.data?.memberships.find((m) => m.organization.id === organization.id && m.status === "active");
  const value = { slug: organization.slug, org: organization, role: membership?.role ?? null, userId: me.data?.user.id ?? null };
  const body = (
    <div className="min-h-screen">
      <Header me={me.data} />
      <OrgNav me={me.data} />
      <main id="main" className="mx-auto max-w-7xl px-3 py-6 sm:px-6 lg:px-8">
        {membership && <CsatPrompt />}
        <Suspense fallback={<ListSkeleton rows={6} label="Loading" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
  return (
    <OrgProvider value={value}>
      {membership ? <RealtimeProvider org={organization.slug} onRefused={onRefused}>{body}</RealtimeProvider> : body}
    </OrgProvider>
  );
}
