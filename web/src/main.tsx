import "./index.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { AppProvider } from "./app/provider";
import { AppRouter } from "./app/router";
import { auth0Enabled, completeAuth0Login } from "./lib/auth0";
import { loadConfig } from "./lib/config";

const root = createRoot(document.getElementById("root") as HTMLElement);

async function boot(): Promise<void> {
  await loadConfig();
  // With Auth0, an existing Auth0 session gives the API token before the first screen renders.
  if (auth0Enabled() && location.pathname !== "/login") await completeAuth0Login().catch(() => null);
  root.render(
    <StrictMode>
      <AppProvider>
        <AppRouter />
      </AppProvider>
    </StrictMode>,
  );
}

boot().catch((error: unknown) => {
  const message = document.createElement("p");
  message.setAttribute("role", "alert");
  message.className = "p-8 text-center";
  message.textContent = `Community cannot start: ${error instanceof Error ? error.message : String(error)}`;
  document.getElementById("root")?.replaceChildren(message);
});
