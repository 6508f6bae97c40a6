import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";

import { api, withQuery } from "@/lib/api";
import type { Page, UserRef } from "@/lib/types";

export type SearchType = "all" | "topics" | "posts" | "messages";

export interface SearchResult {
  type: "topic" | "post" | "message" | string;
  id: string;
  title: string | null;
  snippet: string;
  topic_id: string | null;
  forum_id: string | null;
  conversation_id: string | null;
  author: UserRef | null;
  created_at: string;
}

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

export function useSearch(slug: string, q: string, type: SearchType) {
  return useInfiniteQuery({
    queryKey: ["search", slug, q, type],
    queryFn: ({ pageParam }) => api.get<{ results: SearchResult[] } & Page>(withQuery(`${base(slug)}/search`, { q, type, cursor: pageParam, limit: 20 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    enabled: q.trim().length > 0,
    staleTime: 10_000,
  });
}

export function useSuggestions(slug: string, q: string) {
  return useQuery({
    queryKey: ["suggest", slug, q],
    queryFn: () => api.get<{ suggestions: { topic_id: string; title: string; forum_id: string }[] }>(withQuery(`${base(slug)}/search/suggest`, { q })),
    enabled: q.trim().length >= 2,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

/** The server marks matches with <mark>…</mark>; the rest is text. Split so nothing is injected as HTML. */
export function snippetParts(snippet: string): { text: string; hit: boolean }[] {
  const parts: { text: string; hit: boolean }[] = [];
  const pattern = /<mark>(.*?)<\/mark>/gs;
  let last = 0;
  for (const match of snippet.matchAll(pattern)) {
    if (match.index > last) parts.push({ text: snippet.slice(last, match.index), hit: false });
    parts.push({ text: match[1] ?? "", hit: true });
    last = match.index + match[0].length;
  }
  if (last < snippet.length) parts.push({ text: snippet.slice(last), hit: false });
  return parts;
}
