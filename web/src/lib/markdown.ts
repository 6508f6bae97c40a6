// The Markdown preview: rendered by the server's own renderer, so the preview is exactly what will be posted.
// `PREVIEW_PATH` is null until the server has the endpoint: then the composer has no preview tab at all.

import { api } from "./api";

const PREVIEW_PATH: ((slug: string) => string) | null = null;

export function markdownPreview(slug: string): ((content: string) => Promise<string>) | null {
  if (PREVIEW_PATH === null) return null;
  const path = PREVIEW_PATH(slug);
  return async (content: string) => (await api.post<{ html: string }>(path, { content })).html;
}
