import { Suspense, useEffect } from "react";
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation, useNavigate } from "react-router";

import { ListSkeleton } from "@/components/ui/feedback";
import { NotFoundPage } from "@/features/errors";
import { setUnauthorizedHandler } from "@/lib/api";
import { appConfig } from "@/lib/config";
import { loginPath } from "@/lib/next-path";
import { saveToken } from "@/lib/session";
import { useToken } from "@/lib/session-hooks";
import { useBrandTheme, type Branding } from "@/lib/theme";

import { OrgLayout, orgRouteElement } from "./org-layout";
import { SiteLayout } from "./site-header";
import { orgRoutes, publicRoutes, signedInRoutes } from "./routes";

/** A signed-in call answering 401 means the session ended: sign in again, then come back here. */
function RootLayout() {
  useBrandTheme(appConfig().org?.branding as Branding | undefined);
  const navigate = useNavigate();
  const location = useLocation();
  const here = location.pathname + location.search;
  useEffect(() => {
    setUnauthorizedHandler(() => {
      saveToken(null, true);
      navigate(loginPath(here), { replace: true, state: { expired: true } });
    });
    return () => setUnauthorizedHandler(null);
  }, [navigate, here]);
  return (
    <Suspense fallback={<ListSkeleton rows={6} label="Loading" />}>
      <Outlet />
    </Suspense>
  );
}

function RequireSignIn() {
  const token = useToken();
  const location = useLocation();
  return token ? <Outlet /> : <Navigate to={loginPath(location.pathname + location.search)} replace />;
}

/** The start page has the site bar for signed-in people, and none for visitors. */
function MaybeSiteLayout() {
  return useToken() ? <SiteLayout /> : <Outlet />;
}

export function AppRouter() {
  return (
    <BrowserRouter>
      <Routes>
        <Route element={<RootLayout />}>
          <Route element={<MaybeSiteLayout />}>
            {publicRoutes.filter((r) => r.path === "/").map(({ path, Screen }) => <Route key={path} path={path} element={<Screen />} />)}
          </Route>
          {publicRoutes.filter((r) => r.path !== "/").map(({ path, Screen }) => <Route key={path} path={path} element={<Screen />} />)}
          <Route element={<RequireSignIn />}>
            <Route element={<SiteLayout />}>
              {signedInRoutes.map(({ path, Screen }) => <Route key={path} path={path} element={<Screen />} />)}
            </Route>
          </Route>
          <Route path=":org" element={<OrgLayout />}>
            {orgRoutes.map((route) => route.path === ""
              ? <Route key="index" index element={orgRouteElement(route)} />
              : <Route key={route.path} path={route.path} element={orgRouteElement(route)} />)}
            <Route path="*" element={<NotFoundPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
