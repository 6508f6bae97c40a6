// The Markdown preview: rendered by the server's own renderer, so the preview is exactly what will be posted.
// Without the endpoint the composer has no preview tab at all.

import { api } from "./api";
import { serverFeatures } from "./server-features";

export function markdownPreview(slug: string): ((content: string) => Promise<string>) | null {
  if (!serverFeatures.markdownPreview) return null;
  const path = `/api/orgs/${encodeURIComponent(slug)}/markdown/preview`;
  return async (content: string) => (await api.post<{ html: string }>(path, { content })).html;
}
