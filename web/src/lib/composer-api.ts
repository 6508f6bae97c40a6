// What the composer asks of the server: the Markdown preview (rendered by the server's own renderer, so the
// preview is exactly what will be posted) and the members an "@" can mention.

import { api, withQuery } from "./api";

export interface MentionCandidate {
  id: string;
  display_name: string;
  /** What to write after "@" so the mention reaches this member (the server's own resolution). */
  handle: string;
}

/** Where "@…" completions come from: the org's members, asked of the server as the user types. */
export interface MentionSource {
  key: readonly unknown[];
  search: (query: string) => Promise<MentionCandidate[]>;
}

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

export function markdownPreview(slug: string): (content: string) => Promise<string> {
  return async (content: string) => (await api.post<{ html: string }>(`${base(slug)}/markdown/preview`, { content })).html;
}

interface Suggestions {
  members: { user: { id: string; display_name: string }; handle: string }[];
}

export function mentionSource(slug: string): MentionSource {
  return {
    key: ["members", slug, "mention"],
    search: async (q: string) => {
      const found = await api.get<Suggestions>(withQuery(`${base(slug)}/members/suggest`, { q, limit: 6 }));
      return found.members.map((m) => ({ id: m.user.id, display_name: m.user.display_name, handle: m.handle }));
    },
  };
}
