import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import type { components } from "@/api/schema";
import { Button } from "@/components/ui/button";
import { ErrorNotice } from "@/components/ui/feedback";
import { TextAreaField } from "@/components/ui/field";
import { api } from "@/lib/api";
import { useOrg } from "@/lib/org";

type Csat = components["schemas"]["Csat"];

const LABELS = ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"];

/** The occasional "how satisfied are you?" (at most once a quarter; "Not now" uses the quarter up). */
export function CsatPrompt() {
  const { slug, role } = useOrg();
  const client = useQueryClient();
  const key = ["csat", slug] as const;
  const base = `/api/orgs/${encodeURIComponent(slug)}/csat`;
  const csat = useQuery({
    queryKey: key,
    queryFn: () => api.get<{ csat: Csat }>(base),
    select: (d) => d.csat,
    enabled: role !== null,
    staleTime: 60 * 60 * 1000,
    retry: false,
  });
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState("");
  const [thanked, setThanked] = useState(false);
  const answer = useMutation({
    mutationFn: (body: { score: number; comment?: string } | null) =>
      body ? api.post<{ csat: Csat }>(base, body) : api.post<{ csat: Csat }>(`${base}/dismiss`),
    onSuccess: (data, body) => { client.setQueryData(key, data); if (body) setThanked(true); },
  });
  if (thanked) {
    return (
      <div role="status" className="mb-4 rounded-md border border-green-300 bg-green-50 px-4 py-3 text-sm text-green-900 dark:border-green-800 dark:bg-green-950 dark:text-green-100">
        Thank you — your answer helps the people who run this community.
        <button type="button" className="ml-2 underline" onClick={() => setThanked(false)}>Close</button>
      </div>
    );
  }
  if (!csat.data?.due) return null;
  return (
    <section aria-label="Satisfaction survey" className="mb-4 rounded-lg bg-white p-4 shadow-sm ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-800">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h2 className="font-medium">{csat.data.question}</h2>
        <Button variant="ghost" size="sm" busy={answer.isPending && answer.variables === null} onClick={() => answer.mutate(null)}>Not now</Button>
      </div>
      <div role="radiogroup" aria-label="Your answer, 1 to 5" className="mt-3 flex flex-wrap gap-2">
        {LABELS.map((label, i) => (
          <button key={label} type="button" role="radio" aria-checked={score === i + 1} aria-label={`${i + 1} — ${label}`}
            onClick={() => setScore(i + 1)}
            className={`h-10 w-10 rounded-full border text-sm font-semibold ${score === i + 1 ? "border-blue-700 bg-blue-700 text-white" : "border-gray-300 hover:bg-gray-50 dark:border-gray-700 dark:hover:bg-gray-800"}`}>
            {i + 1}
          </button>
        ))}
        <span className="self-center text-sm text-gray-700 dark:text-gray-300">{score ? LABELS[score - 1] : "1 = very dissatisfied, 5 = very satisfied"}</span>
      </div>
      {score !== null && (
        <div className="mt-3 space-y-2">
          <TextAreaField label="Anything you would like to tell the organizers? (optional)" rows={2} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
          <Button busy={answer.isPending && answer.variables !== null} onClick={() => answer.mutate({ score, ...(comment.trim() ? { comment: comment.trim() } : {}) })}>Send answer</Button>
        </div>
      )}
      <ErrorNotice error={answer.error} className="mt-2" />
    </section>
  );
}
