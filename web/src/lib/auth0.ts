// Auth0 Universal Login, loaded only on deployments whose /api/config turns it on.

import type { Auth0Client } from "@auth0/auth0-spa-js";

import { appConfig } from "./config";
import { setTokenSource } from "./session";

let client: Promise<Auth0Client> | null = null;

export function auth0Enabled(): boolean {
  const config = appConfig();
  return config.auth === "auth0" && config.auth0_domain !== null && config.auth0_client_id !== null;
}

export function auth0(): Promise<Auth0Client> {
  if (client === null) {
    const config = appConfig();
    client = import("@auth0/auth0-spa-js").then(({ createAuth0Client }) => createAuth0Client({
      domain: config.auth0_domain ?? "",
      clientId: config.auth0_client_id ?? "",
      cacheLocation: "localstorage",
      useRefreshTokens: true,
      authorizationParams: { redirect_uri: `${location.origin}/login`, audience: config.auth0_audience ?? undefined },
    }));
  }
  return client;
}

/** After the redirect back from Auth0: finish the login and return where the person was going. */
export async function completeAuth0Login(): Promise<string | null> {
  const sdk = await auth0();
  const params = new URLSearchParams(location.search);
  if (params.has("code") && params.has("state")) {
    const result = await sdk.handleRedirectCallback<{ next?: string }>();
    history.replaceState(null, "", "/login");
    adoptAuth0Tokens(sdk);
    return result.appState?.next ?? "/";
  }
  if (await sdk.isAuthenticated()) adoptAuth0Tokens(sdk);
  return null;
}

export function adoptAuth0Tokens(sdk: Auth0Client): void {
  setTokenSource(() => sdk.getTokenSilently().then((t) => t ?? null, () => null));
}

export async function startAuth0Login(next: string, signup = false): Promise<void> {
  const sdk = await auth0();
  await sdk.loginWithRedirect({ appState: { next }, authorizationParams: signup ? { screen_hint: "signup" } : {} });
}

export async function auth0Logout(): Promise<void> {
  const sdk = await auth0();
  await sdk.logout({ logoutParams: { returnTo: location.origin } });
}
