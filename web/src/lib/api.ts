// The one way the app calls the REST API: JSON in and out, the bearer token, problem+json errors as ApiError.

import { currentToken } from "./session";

export interface FieldError {
  loc: (string | number)[];
  msg: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code?: string;
  detail?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? `The server answered ${problem.status}.`);
    this.status = problem.status;
    this.code = problem.code ?? "error";
    this.errors = problem.errors ?? [];
  }

  /** The message for one body field, so a form can show it next to that field. */
  fieldError(name: string): string | undefined {
    return this.errors.find((e) => e.loc[e.loc.length - 1] === name)?.msg;
  }
}

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
let onUnauthorized: (() => void) | null = null;

/** Called when a signed-in call answers 401: the session expired or was revoked. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export async function request<T>(method: Method, path: string, body?: unknown, retried = false): Promise<T> {
  const token = await currentToken();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError({ status: 0, code: "network", detail: "The server cannot be reached. Check your connection." });
  }
  if (response.status === 204) return undefined as T;
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && token) {
      // The session moved on while this call was out (a password change answers a new token and ends the
      // old one): once more with the new token; only a token still current that is refused ends the session.
      const now = await currentToken();
      if (now && now !== token && !retried) return request<T>(method, path, body, true);
      if (now === token) onUnauthorized?.();
    }
    const problem = (data ?? {}) as Partial<Problem>;
    throw new ApiError({ ...problem, status: response.status });
  }
  return data as T;
}

/** Fetches a file with the session and hands it to the browser as a download named by the server (or `fallback`). */
export async function download(path: string, fallback: string): Promise<void> {
  const token = await currentToken();
  let response: Response;
  try {
    response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch {
    throw new ApiError({ status: 0, code: "network", detail: "The server cannot be reached. Check your connection." });
  }
  if (!response.ok) {
    const problem = ((await response.json().catch(() => null)) ?? {}) as Partial<Problem>;
    throw new ApiError({ ...problem, status: response.status });
  }
  const named = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") ?? "")?.[1];
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = named ?? fallback;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, body),
  del: <T = void>(path: string) => request<T>("DELETE", path),
};

/** A path with its query string; undefined and empty values are left out. */
export function withQuery(path: string, query: Record<string, string | number | boolean | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
