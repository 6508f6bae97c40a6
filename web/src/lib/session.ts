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

export function saveToken(token: string | null): void {
  if (token === null) localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, token);
  for (const listener of listeners) listener(token);
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
