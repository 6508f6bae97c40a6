// Where the bearer token lives. localStorage: it survives reloads and is shared by the tabs of one browser;
// the README explains the choice (strict CSP, server-sanitised HTML only, server-side revocation).

const KEY = "community.token";
type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();
let tokenSource: (() => Promise<string | null>) | null = null;

export function storedToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

let ended = false;

/** Store a new token, or none. `expired`: the server ended the session (not a sign-out), so sign-in says so. */
export function saveToken(token: string | null, expired = false): void {
  ended = token === null && expired;
  if (token === null) localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, token);
  for (const listener of listeners) listener(token);
}

/** Whether the last session was ended by the server. Sign-in reads it, whichever redirect brought the
 * reader there first (the 401 handler's, or a guard's that saw the token go). */
export function sessionExpired(): boolean {
  return ended;
}

/** With Auth0 the token comes from its SDK (refreshed silently); else from storage. */
export function setTokenSource(source: (() => Promise<string | null>) | null): void {
  tokenSource = source;
}

export async function currentToken(): Promise<string | null> {
  return tokenSource ? tokenSource() : storedToken();
}

export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  const fromOtherTab = (event: StorageEvent) => {
    if (event.key === KEY) listener(event.newValue);
  };
  window.addEventListener("storage", fromOtherTab);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", fromOtherTab);
  };
}
