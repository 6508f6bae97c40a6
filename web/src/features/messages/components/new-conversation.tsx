import { useInfiniteQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { Button } from "@/components/ui/button";
import { ErrorNotice, fieldError } from "@/components/ui/feedback";
import { inputClass, TextField } from "@/components/ui/field";
import { api, withQuery } from "@/lib/api";
import { orgPath, useOrg } from "@/lib/org";
import type { Page, UserRef } from "@/lib/types";

import { useStartConversation } from "../api";

export function NewConversation({ onDone }: { onDone: () => void }) {
  const { slug, userId } = useOrg();
  const navigate = useNavigate();
  const start = useStartConversation(slug);
  const [filter, setFilter] = useState("");
  const [chosen, setChosen] = useState<UserRef[]>([]);
  const [title, setTitle] = useState("");
  const members = useInfiniteQuery({
    queryKey: ["members", slug, "directory"],
    queryFn: ({ pageParam }) => api.get<{ members: { user: UserRef }[] } & Page>(withQuery(`/api/orgs/${encodeURIComponent(slug)}/members`, { cursor: pageParam, limit: 100 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  const everyone = (members.data?.pages.flatMap((p) => p.members.map((m) => m.user)) ?? []).filter((u) => u.id !== userId);
  const matches = everyone.filter((u) => u.display_name.toLowerCase().includes(filter.toLowerCase()) && !chosen.some((c) => c.id === u.id)).slice(0, 8);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.mutate({ participant_ids: chosen.map((u) => u.id), ...(chosen.length > 1 && title ? { title } : {}) }, {
      onSuccess: ({ conversation }) => {
        onDone();
        navigate(orgPath(slug, "messages", conversation.id));
      },
    });
  };
  return (
    <form onSubmit={submit} className="space-y-3 border-b border-gray-200 p-4 dark:border-gray-800" aria-label="New conversation">
      <ErrorNotice error={start.error && !fieldError(start.error, "title") ? start.error : null} />
      {chosen.length > 0 && (
        <ul aria-label="Chosen people" className="flex flex-wrap gap-1">
          {chosen.map((u) => (
            <li key={u.id}>
              <button type="button" onClick={() => setChosen(chosen.filter((c) => c.id !== u.id))} className="rounded-full bg-blue-100 px-2 py-0.5 text-sm text-blue-900 dark:bg-blue-950 dark:text-blue-100">
                {u.display_name} <span aria-hidden="true">×</span><span className="sr-only">(remove)</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div>
        <label htmlFor="people-filter" className="text-sm font-medium">People</label>
        <input id="people-filter" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Type a name" className={inputClass} />
        <ul aria-label="Members" className="mt-1 max-h-48 overflow-y-auto">
          {matches.map((u) => (
            <li key={u.id}>
              <button type="button" onClick={() => { setChosen([...chosen, u]); setFilter(""); }} className="w-full rounded px-2 py-1 text-left text-sm hover:bg-gray-100 dark:hover:bg-gray-800">
                Add {u.display_name}
              </button>
            </li>
          ))}
        </ul>
      </div>
      {chosen.length > 1 && <TextField label="Group name" value={title} onChange={(e) => setTitle(e.target.value)} error={fieldError(start.error, "title")} />}
      <div className="flex gap-2">
        <Button type="submit" disabled={chosen.length === 0} busy={start.isPending}>{chosen.length > 1 ? "Start group" : "Start conversation"}</Button>
        <Button variant="secondary" onClick={onDone}>Cancel</Button>
      </div>
    </form>
  );
}
