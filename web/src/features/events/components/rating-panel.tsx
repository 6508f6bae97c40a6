import { useState, type FormEvent } from "react";

import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ErrorNotice, fieldError, ListSkeleton } from "@/components/ui/feedback";
import { TextAreaField } from "@/components/ui/field";

import { useEventRatings, useMyRating, useRateEvent, type EventItem } from "../api";

const LABELS = ["Poor", "Fair", "Good", "Very good", "Excellent"];

export function isOver(event: EventItem): boolean {
  return event.status !== "cancelled" && new Date(event.end_time).getTime() <= Date.now();
}

function Scores({ value, onChange }: { value: number | null; onChange: (score: number) => void }) {
  return (
    <div role="radiogroup" aria-label="Your rating, 1 to 5" className="flex flex-wrap gap-2">
      {LABELS.map((label, i) => (
        <button key={label} type="button" role="radio" aria-checked={value === i + 1} aria-label={`${i + 1} — ${label}`}
          onClick={() => onChange(i + 1)}
          className={`h-10 w-10 rounded-full border text-sm font-semibold ${value === i + 1 ? "border-blue-700 bg-blue-700 text-white" : "border-gray-300 hover:bg-gray-50 dark:border-gray-700 dark:hover:bg-gray-800"}`}>
          {i + 1}
        </button>
      ))}
      <span className="self-center text-sm text-gray-700 dark:text-gray-300">{value ? LABELS[value - 1] : "1 = poor, 5 = excellent"}</span>
    </div>
  );
}

/** After an occurrence has ended, its attendees rate it (1-5, a comment) and see their rating;
 *  nobody else sees this card (the server says who may: `can_rate`). */
export function RatingPanel({ slug, event }: { slug: string; event: EventItem }) {
  const mine = useMyRating(slug, event.id, event.occurrence_id, isOver(event));
  const rate = useRateEvent(slug, event.id, event.occurrence_id);
  const [editing, setEditing] = useState(false);
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState("");
  const data = mine.data;
  if (!data || (!data.can_rate && !data.rating)) return null;
  const rating = data.rating;
  if (rating && !editing) {
    return (
      <Card title="Your rating">
        <div className="space-y-3 p-4 sm:p-6">
          <p role="status" className="text-sm"><span className="font-medium">You rated this event {rating.score} of 5</span> ({LABELS[rating.score - 1]}).</p>
          {rating.comment && <blockquote className="border-l-4 border-gray-300 pl-3 text-sm whitespace-pre-wrap text-gray-700 dark:border-gray-700 dark:text-gray-300">{rating.comment}</blockquote>}
          {data.can_rate && (
            <Button variant="secondary" size="sm" onClick={() => { setScore(rating.score); setComment(rating.comment ?? ""); setEditing(true); }}>Change your rating</Button>
          )}
        </div>
      </Card>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (score === null) return;
    rate.mutate({ score, comment: comment.trim() || null }, { onSuccess: () => setEditing(false) });
  };
  return (
    <Card title="Rate this event">
      <form onSubmit={submit} className="space-y-3 p-4 sm:p-6" noValidate>
        <p className="text-sm text-gray-700 dark:text-gray-300">You attended. How was it?</p>
        <Scores value={score} onChange={setScore} />
        <TextAreaField label="Comment (optional)" rows={3} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} error={fieldError(rate.error, "comment")} />
        <ErrorNotice error={rate.error && !fieldError(rate.error, "comment") ? rate.error : null} />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" busy={rate.isPending} disabled={score === null}>Send rating</Button>
          {editing && <Button variant="ghost" onClick={() => setEditing(false)}>Keep my rating</Button>}
        </div>
      </form>
    </Card>
  );
}

function Figure({ label, caption, value }: { label: string; caption: string; value: string }) {
  return (
    <div role="group" aria-label={label}>
      <div className="text-xl font-semibold">{value}</div>
      <div className="text-xs text-gray-700 dark:text-gray-300">{caption}</div>
    </div>
  );
}

/** Whoever manages the event: how attendees rated this occurrence, with their comments. */
export function RatingsSummary({ slug, event }: { slug: string; event: EventItem }) {
  const ratings = useEventRatings(slug, event.id, event.occurrence_id, isOver(event));
  if (!isOver(event)) return null;
  const first = ratings.data?.pages[0];
  const entries = ratings.data?.pages.flatMap((p) => p.ratings) ?? [];
  return (
    <Card title="Attendee ratings">
      {ratings.isPending ? <ListSkeleton rows={2} label="Loading ratings" /> : ratings.isError ? <div className="p-4 sm:p-6"><ErrorNotice error={ratings.error} /></div> : (
        <div className="space-y-3 p-4 sm:p-6">
          <div className="grid grid-cols-3 gap-2 text-center">
            <Figure label="Average rating" caption="Average" value={first?.summary.average?.toFixed(1) ?? "—"} />
            <Figure label="Ratings" caption="Ratings" value={String(first?.summary.ratings ?? 0)} />
            <Figure label="Attendees who rated" caption="Of attendees"
              value={first?.summary.response_rate == null ? "—" : `${Math.round(first.summary.response_rate * 100)}%`} />
          </div>
          {entries.length === 0 ? <p className="text-sm text-gray-700 dark:text-gray-300">No ratings yet.</p> : (
            <ul className="divide-y divide-gray-200 dark:divide-gray-800">
              {entries.map((r) => (
                <li key={`${r.user.id}-${r.occurrence_id}`} className="py-2 text-sm">
                  <span className="font-medium">{r.user.display_name}</span> <span className="text-gray-700 dark:text-gray-300">— {r.score} of 5</span>
                  {r.comment && <p className="mt-1 whitespace-pre-wrap text-gray-700 dark:text-gray-300">{r.comment}</p>}
                </li>
              ))}
            </ul>
          )}
          {ratings.hasNextPage && <Button variant="secondary" size="sm" busy={ratings.isFetchingNextPage} onClick={() => void ratings.fetchNextPage()}>More ratings</Button>}
        </div>
      )}
    </Card>
  );
}
