import { useState } from "react";

import { Avatar } from "@/components/ui/avatar";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { SelectField } from "@/components/ui/field";
import { fullTime } from "@/lib/time";

import { useAttendees, useCheckIn, type Attendee, type EventItem } from "../api";

const LABELS: Record<Attendee["status"], string> = { going: "Going", waitlisted: "Waitlisted", interested: "Interested", not_going: "Not going" };

export function AttendeesPanel({ slug, event }: { slug: string; event: EventItem }) {
  const attendees = useAttendees(slug, event.id, event.occurrence_id, true);
  const checkIn = useCheckIn(slug, event.id, event.occurrence_id);
  const [filter, setFilter] = useState<"all" | Attendee["status"]>("all");
  const people = (attendees.data?.pages.flatMap((p) => p.attendees) ?? []).filter((a) => filter === "all" || a.status === filter);
  return (
    <Card title="Attendees" action={
      <div className="w-40"><SelectField label="Show" value={filter} onChange={(e) => setFilter(e.target.value as typeof filter)}>
        <option value="all">Everyone</option>
        {Object.entries(LABELS).map(([value, label]) => <option key={value} value={value}>{label}</option>)}
      </SelectField></div>
    }>
      <p className="px-4 pt-3 text-sm text-gray-700 sm:px-6 dark:text-gray-300">{event.checked_in_count} of {event.attendee_count} checked in</p>
      <ErrorNotice error={checkIn.error} className="mx-4 mt-2" />
      {attendees.isPending ? <ListSkeleton rows={3} label="Loading attendees" />
        : attendees.isError ? <div className="p-4"><ErrorNotice error={attendees.error} /></div>
        : people.length === 0 ? <EmptyState title="Nobody yet" />
        : (
          <ul aria-label="Attendees" className="divide-y divide-gray-200 dark:divide-gray-800">
            {people.map((a) => (
              <li key={a.user.id} className="flex items-center gap-3 px-4 py-2 sm:px-6">
                <Avatar user={a.user} />
                <div className="min-w-0 flex-1">
                  <p className="truncate text-sm font-medium">{a.user.display_name}</p>
                  <p className="text-xs text-gray-600 dark:text-gray-400">
                    {LABELS[a.status]}{a.position !== null ? ` #${a.position}` : ""}
                    {a.checked_in_at && <> · checked in <time dateTime={a.checked_in_at}>{fullTime(a.checked_in_at)}</time></>}
                  </p>
                </div>
                {a.status === "going" && (
                  <Button size="sm" variant={a.checked_in_at ? "ghost" : "secondary"}
                    busy={checkIn.isPending && checkIn.variables?.userId === a.user.id}
                    aria-label={a.checked_in_at ? `Undo check-in of ${a.user.display_name}` : `Check in ${a.user.display_name}`}
                    onClick={() => checkIn.mutate({ userId: a.user.id, undo: Boolean(a.checked_in_at) })}>
                    {a.checked_in_at ? "Undo check-in" : "Check in"}
                  </Button>
                )}
              </li>
            ))}
          </ul>
        )}
      {attendees.hasNextPage && <div className="p-3 text-center"><Button variant="ghost" onClick={() => void attendees.fetchNextPage()}>Show more</Button></div>}
    </Card>
  );
}
