import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";

import { Button, LinkButton } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, fieldError, ListSkeleton, Notice } from "@/components/ui/feedback";
import { SelectField, TextField } from "@/components/ui/field";
import { currentToken } from "@/lib/session";
import { orgPath, useOrg } from "@/lib/org";

import { eventIcsUrl, useCancelEvent, useDeleteEvent, useEvent, useRsvp, useSeriesDates, useWithdraw, type EventItem, type RsvpStatus } from "../api";
import { describeRecurrence, formatRange } from "../lib";
import { AttendeesPanel } from "./attendees-panel";
import { RatingPanel, RatingsSummary } from "./rating-panel";
import { registrationText } from "./registration-badge";

const RSVP: { status: RsvpStatus; label: string }[] = [
  { status: "going", label: "Going" },
  { status: "interested", label: "Interested" },
  { status: "not_going", label: "Not going" },
];

function RsvpPanel({ slug, event }: { slug: string; event: EventItem }) {
  const rsvp = useRsvp(slug, event.id, event.occurrence_id);
  const withdraw = useWithdraw(slug, event.id, event.occurrence_id);
  const mine = event.my_registration;
  const over = new Date(event.end_time).getTime() <= Date.now();
  const full = event.places_left === 0;
  if (event.status === "cancelled") return <p className="p-4 text-sm sm:p-6">This event is cancelled{event.cancel_reason ? `: ${event.cancel_reason}` : "."}</p>;
  if (over) return <p className="p-4 text-sm sm:p-6">This event is over.</p>;
  const current = mine?.status === "waitlisted" ? "going" : mine?.status;
  return (
    <div className="space-y-3 p-4 sm:p-6">
      <ErrorNotice error={rsvp.error ?? withdraw.error} />
      {mine && <p role="status" className="text-sm font-medium">{registrationText(mine)}{mine.status === "waitlisted" ? " — you get the next free place" : ""}</p>}
      {!mine && full && <p className="text-sm text-gray-700 dark:text-gray-300">The event is full: choosing Going puts you on the waitlist.</p>}
      <div role="group" aria-label="Your answer" className="flex flex-wrap gap-2">
        {RSVP.map(({ status, label }) => (
          <Button key={status} variant={current === status ? "primary" : "secondary"} aria-pressed={current === status}
            busy={rsvp.isPending && rsvp.variables === status} onClick={() => rsvp.mutate(status)}>
            {status === "going" && full && !mine ? "Join the waitlist" : label}
          </Button>
        ))}
        {mine && <Button variant="ghost" busy={withdraw.isPending} onClick={() => withdraw.mutate()}>Withdraw</Button>}
      </div>
    </div>
  );
}

function googleLink(event: EventItem): string {
  const stamp = (iso: string) => iso.replace(/[-:]/g, "").replace(/\.\d+/, "");
  const params = new URLSearchParams({
    action: "TEMPLATE", text: event.title, dates: `${stamp(event.start_time)}/${stamp(event.end_time)}`,
    details: `${event.description}\n\n${location.href}`, location: event.location ?? "", ctz: event.timezone,
  });
  return `https://calendar.google.com/calendar/render?${params.toString()}`;
}

function AddToCalendar({ slug, event }: { slug: string; event: EventItem }) {
  const [error, setError] = useState<unknown>(null);
  // The .ics needs the caller's token (members-only details), so it is fetched and handed over as a file.
  const download = async () => {
    setError(null);
    try {
      const token = await currentToken();
      const response = await fetch(eventIcsUrl(slug, event.id), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
      if (!response.ok) throw new Error(`The calendar file could not be made (${response.status}).`);
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = `${event.title.replace(/[^\w.-]+/g, "-").slice(0, 60) || "event"}.ics`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="space-y-2 p-4 sm:p-6">
      <ErrorNotice error={error} />
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" onClick={() => void download()}>Add to calendar (.ics)</Button>
        <a className="inline-flex items-center rounded-md px-3 py-2 text-sm text-blue-700 hover:underline dark:text-blue-300" href={googleLink(event)} target="_blank" rel="noreferrer">Google Calendar</a>
        <Link className="inline-flex items-center rounded-md px-3 py-2 text-sm text-blue-700 hover:underline dark:text-blue-300" to="/me/calendar">Subscribe to all my events</Link>
      </div>
    </div>
  );
}

function SeriesDates({ slug, event }: { slug: string; event: EventItem }) {
  const [from] = useState(() => `${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const dates = useSeriesDates(slug, event.id, from, event.is_recurring);
  if (!event.is_recurring) return null;
  return (
    <Card title="Dates">
      <p className="px-4 pt-3 text-sm text-gray-700 sm:px-6 dark:text-gray-300">{describeRecurrence(event.recurrence)}</p>
      {dates.isPending ? <ListSkeleton rows={3} label="Loading dates" /> : (
        <ul className="max-h-72 divide-y divide-gray-200 overflow-y-auto px-4 sm:px-6 dark:divide-gray-800">
          {(dates.data ?? []).map((d) => (
            <li key={d.occurrence_id} className="py-2 text-sm">
              {d.occurrence_id === event.occurrence_id
                ? <span className="font-medium" aria-current="date">{formatRange(d.start_time, d.end_time)} (shown)</span>
                : <Link to={`${orgPath(slug, "events", event.id)}?occurrence=${encodeURIComponent(d.occurrence_id)}`} className={`text-blue-700 hover:underline dark:text-blue-300 ${d.status === "cancelled" ? "line-through" : ""}`}>{formatRange(d.start_time, d.end_time)}</Link>}
              {d.my_registration && <span className="ml-2 text-xs text-gray-600 dark:text-gray-400">{registrationText(d.my_registration)}</span>}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function ManagePanel({ slug, event }: { slug: string; event: EventItem }) {
  const navigate = useNavigate();
  const cancel = useCancelEvent(slug, event.id);
  const remove = useDeleteEvent(slug, event.id);
  const [reason, setReason] = useState("");
  const [scope, setScope] = useState<"series" | "occurrence">(event.is_recurring ? "occurrence" : "series");
  const editPath = `${orgPath(slug, "events", event.id, "edit")}?occurrence=${encodeURIComponent(event.occurrence_id)}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    cancel.mutate({ reason, ...(scope === "occurrence" && event.is_recurring ? { occurrence: event.occurrence_id } : {}) },
      { onSuccess: () => setReason("") });
  };
  return (
    <Card title="Manage">
      <div className="space-y-4 p-4 sm:p-6">
        <div className="flex flex-wrap gap-2">
          <LinkButton variant="secondary" to={editPath}>Edit event</LinkButton>
          <Button variant="danger" busy={remove.isPending} onClick={() => {
            if (window.confirm("Delete this event and every registration? Registrants of dates still ahead are told.")) {
              remove.mutate(undefined, { onSuccess: () => navigate(orgPath(slug, "events")) });
            }
          }}>Delete event</Button>
        </div>
        <ErrorNotice error={remove.error} />
        {event.status !== "cancelled" && (
          <form onSubmit={submit} className="space-y-3" noValidate>
            <ErrorNotice error={cancel.error && !fieldError(cancel.error, "reason") ? cancel.error : null} />
            {cancel.isSuccess && <Notice>Cancelled. Everyone registered was notified.</Notice>}
            <TextField label="Reason for cancelling" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} required error={fieldError(cancel.error, "reason")} />
            {event.is_recurring && (
              <SelectField label="Cancel" value={scope} onChange={(e) => setScope(e.target.value as "series" | "occurrence")}>
                <option value="occurrence">Only this date</option>
                <option value="series">Every date still ahead</option>
              </SelectField>
            )}
            <Button type="submit" variant="danger" busy={cancel.isPending} disabled={!reason.trim()}>Cancel event</Button>
          </form>
        )}
      </div>
    </Card>
  );
}

export function EventPage() {
  const { slug, role } = useOrg();
  const { eventId = "" } = useParams();
  const [params] = useSearchParams();
  const occurrence = params.get("occurrence");
  const query = useEvent(slug, eventId, occurrence);
  if (query.isPending) return <ListSkeleton rows={6} label="Loading event" />;
  if (query.isError) return <ErrorNotice error={query.error} />;
  const event = query.data.event;
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <div className="space-y-6">
      <PageHeader
        title={event.title}
        subtitle={<>
          <time dateTime={event.start_time}>{formatRange(event.start_time, event.end_time)}</time>
          {viewerZone !== event.timezone && <span className="block text-sm">{formatRange(event.start_time, event.end_time, event.timezone)} ({event.timezone})</span>}
        </>}
        actions={<Link to={orgPath(slug, "events")} className="text-sm text-blue-700 hover:underline dark:text-blue-300">All events</Link>}
      />
      <div className="flex flex-wrap gap-2">
        {event.status === "cancelled" && <Badge tone="red">Cancelled</Badge>}
        {!event.is_public && <Badge tone="amber">Members only</Badge>}
        {event.event_type && <Badge tone="purple">{event.event_type}</Badge>}
        {event.is_recurring && <Badge tone="blue">{describeRecurrence(event.recurrence)}</Badge>}
        {event.registration_required && <Badge>Registration required</Badge>}
      </div>
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card title="About">
            <dl className="grid grid-cols-[8rem_1fr] gap-x-4 gap-y-2 p-4 text-sm sm:p-6">
              {event.location && <><dt className="font-medium">Location</dt><dd>{event.location}</dd></>}
              {event.meeting_url && <><dt className="font-medium">Online</dt><dd><a href={event.meeting_url} target="_blank" rel="noreferrer" className="break-all text-blue-700 hover:underline dark:text-blue-300">{event.meeting_url}</a></dd></>}
              <dt className="font-medium">Attending</dt>
              <dd>{event.attendee_count} going{event.max_attendees !== null ? ` of ${event.max_attendees} places` : ""}{event.waitlist_count > 0 ? ` · ${event.waitlist_count} on the waitlist` : ""}{event.interested_count > 0 ? ` · ${event.interested_count} interested` : ""}</dd>
              {event.created_by && <><dt className="font-medium">Organised by</dt><dd>{event.created_by.display_name}</dd></>}
              {event.topic_id && <><dt className="font-medium">Discussion</dt><dd><Link to={orgPath(slug, "topics", event.topic_id)} className="text-blue-700 hover:underline dark:text-blue-300">Open the discussion</Link></dd></>}
            </dl>
            {event.html && <div className="prose-post border-t border-gray-200 p-4 sm:p-6 dark:border-gray-800" dangerouslySetInnerHTML={{ __html: event.html }} />}
          </Card>
          {event.can_manage && <RatingsSummary slug={slug} event={event} />}
          {event.can_manage && <AttendeesPanel slug={slug} event={event} />}
        </div>
        <div className="space-y-6">
          {role ? <Card title="Are you going?"><RsvpPanel slug={slug} event={event} /></Card>
            : <Card title="Are you going?"><p className="p-4 text-sm sm:p-6"><Link to="/login" className="text-blue-700 hover:underline dark:text-blue-300">Sign in</Link> as a member to register.</p></Card>}
          {role && <RatingPanel slug={slug} event={event} />}
          <Card title="Add to calendar"><AddToCalendar slug={slug} event={event} /></Card>
          <SeriesDates slug={slug} event={event} />
          {event.can_manage && <ManagePanel slug={slug} event={event} />}
        </div>
      </div>
    </div>
  );
}
