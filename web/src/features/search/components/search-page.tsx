import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { inputClass } from "@/components/ui/field";
import { orgPath, useOrg } from "@/lib/org";
import { timeAgo } from "@/lib/time";

import { snippetParts, useSearch, type SearchResult, type SearchType } from "../api";

const TYPES: { value: SearchType; label: string }[] = [
  { value: "all", label: "Everything" }, { value: "topics", label: "Topics" }, { value: "posts", label: "Posts" }, { value: "messages", label: "Messages" },
];

function Snippet({ text }: { text: string }) {
  return <p className="mt-1 text-sm text-gray-700 dark:text-gray-300">{snippetParts(text).map((p, i) => (p.hit ? <mark key={i} className="rounded bg-yellow-200 px-0.5 text-gray-900">{p.text}</mark> : <span key={i}>{p.text}</span>))}</p>;
}

function link(slug: string, r: SearchResult): string {
  if (r.conversation_id) return orgPath(slug, "messages", r.conversation_id);
  if (r.type === "post" && r.topic_id) return `${orgPath(slug, "topics", r.topic_id)}#post-${r.id}`;
  return orgPath(slug, "topics", r.topic_id ?? r.id);
}

export function SearchPage() {
  const { slug } = useOrg();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const type = (TYPES.find((t) => t.value === params.get("type"))?.value ?? "all");
  const [text, setText] = useState(q);
  const results = useSearch(slug, q, type);
  const set = (next: { q?: string; type?: SearchType }) => {
    const merged = { q, type, ...next };
    setParams(merged.type === "all" ? { q: merged.q } : { q: merged.q, type: merged.type });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set({ q: text.trim() });
  };
  const list = results.data?.pages.flatMap((p) => p.results) ?? [];
  return (
    <div className="mx-auto max-w-3xl space-y-4">
      <PageHeader title={q ? `Results for “${q}”` : "Search"} />
      <form onSubmit={submit} className="flex gap-2" role="search">
        <label htmlFor="search-query" className="sr-only">Search for</label>
        <input id="search-query" type="search" value={text} onChange={(e) => setText(e.target.value)} className={inputClass} />
        <Button type="submit">Search</Button>
      </form>
      <fieldset className="flex flex-wrap gap-2">
        <legend className="sr-only">Show</legend>
        {TYPES.map((t) => (
          <label key={t.value} className={`cursor-pointer rounded-full border px-3 py-1 text-sm has-focus-visible:outline-2 has-focus-visible:outline-blue-500 ${type === t.value ? "border-blue-700 bg-blue-700 text-white" : "border-gray-300 dark:border-gray-600"}`}>
            <input type="radio" name="type" value={t.value} checked={type === t.value} onChange={() => set({ type: t.value })} className="sr-only" />
            {t.label}
          </label>
        ))}
      </fieldset>
      <Card>
        {!q ? <EmptyState title="Type what you are looking for" /> : results.isPending ? <ListSkeleton label="Loading results" /> : results.isError ? <div className="p-4"><ErrorNotice error={results.error} /></div>
          : list.length === 0 ? <EmptyState title="No results">Try other words, or another filter.</EmptyState> : (
            <ul className="divide-y divide-gray-200 dark:divide-gray-800">
              {list.map((r) => (
                <li key={`${r.type}-${r.id}`} className="px-4 py-3 sm:px-6">
                  <div className="flex flex-wrap items-center gap-2">
                    <Badge tone={r.type === "topic" ? "blue" : r.type === "message" ? "purple" : "gray"}>{r.type}</Badge>
                    <Link to={link(slug, r)} className="font-medium text-blue-700 hover:underline dark:text-blue-300">{r.title ?? "Message"}</Link>
                  </div>
                  <Snippet text={r.snippet} />
                  <p className="text-xs text-gray-600 dark:text-gray-400">{r.author?.display_name} · {timeAgo(r.created_at)}</p>
                </li>
              ))}
            </ul>
          )}
        {results.hasNextPage && (
          <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800">
            <Button variant="secondary" onClick={() => void results.fetchNextPage()} busy={results.isFetchingNextPage}>More results</Button>
          </div>
        )}
      </Card>
    </div>
  );
}
