// The deployment's settings, read at run time from /api/config so one build serves every deployment.

export interface AppConfig {
  ws_url: string;
  auth: "builtin" | "auth0";
  auth0_domain: string | null;
  auth0_audience: string | null;
  auth0_client_id: string | null;
  stripe_publishable_key: string | null;
  app_url: string | null;
  api_url: string | null;
  /** The org whose verified custom domain this page was opened on (null elsewhere). */
  org: HostOrg | null;
}

export interface HostOrg {
  id: string;
  slug: string;
  name: string;
  logo_url: string | null;
  branding: Record<string, unknown>;
  custom_domain: string;
}

function hostOrg(value: unknown): HostOrg | null {
  if (typeof value !== "object" || value === null) return null;
  const org = value as Record<string, unknown>;
  if (typeof org.slug !== "string" || typeof org.name !== "string") return null;
  return {
    id: String(org.id), slug: org.slug, name: org.name, logo_url: text(org.logo_url),
    branding: typeof org.branding === "object" && org.branding !== null ? (org.branding as Record<string, unknown>) : {},
    custom_domain: String(org.custom_domain),
  };
}

let loaded: AppConfig | null = null;

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export function parseConfig(raw: Record<string, unknown>): AppConfig {
  return {
    ws_url: text(raw.ws_url) ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
    auth: raw.auth === "auth0" ? "auth0" : "builtin",
    auth0_domain: text(raw.auth0_domain),
    auth0_audience: text(raw.auth0_audience),
    auth0_client_id: text(raw.auth0_client_id),
    stripe_publishable_key: text(raw.stripe_publishable_key),
    app_url: text(raw.app_url),
    api_url: text(raw.api_url),
    org: hostOrg(raw.org),
  };
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/api/config", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`The server did not answer its configuration (${response.status}).`);
  loaded = parseConfig((await response.json()) as Record<string, unknown>);
  return loaded;
}

export function appConfig(): AppConfig {
  if (loaded === null) throw new Error("configuration not loaded yet");
  return loaded;
}
