import { useMemo, useState, type FormEvent } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, fieldError, ListSkeleton } from "@/components/ui/feedback";
import { CheckboxField, SelectField, TextAreaField, TextField } from "@/components/ui/field";
import { orgPath, useOrg } from "@/lib/org";

import { useCreateEvent, useEvent, useUpdateEvent, type EventInput, type EventItem } from "../api";
import {
  browserZone, describeRecurrence, fromRrule, fromZonedInput, NO_RECURRENCE, timeZones, toRrule, toZonedInput,
  WEEKDAY_NAMES, WEEKDAYS, type Frequency, type Recurrence, type Weekday,
} from "../lib";

const TYPES = ["meeting", "webinar", "social", "workshop", "conference", "other"];

interface Draft {
  title: string;
  description: string;
  eventType: string;
  start: string;
  end: string;
  timezone: string;
  location: string;
  meetingUrl: string;
  maxAttendees: string;
  registrationRequired: boolean;
  isPublic: boolean;
  recurrence: Recurrence;
  createTopic: boolean;
}

function nextHour(): Date {
  const d = new Date(Date.now() + 24 * 3600_000);
  d.setMinutes(0, 0, 0);
  return d;
}

function blankDraft(): Draft {
  const zone = browserZone();
  const start = nextHour();
  return {
    title: "", description: "", eventType: "meeting", start: toZonedInput(start.toISOString(), zone),
    end: toZonedInput(new Date(start.getTime() + 3600_000).toISOString(), zone), timezone: zone, location: "",
    meetingUrl: "", maxAttendees: "", registrationRequired: false, isPublic: true, recurrence: NO_RECURRENCE, createTopic: false,
  };
}

function draftOf(e: EventItem, series: boolean): Draft {
  const start = series ? e.series_start_time : e.start_time;
  const end = series ? e.series_end_time : e.end_time;
  return {
    title: e.title, description: e.description, eventType: e.event_type ?? "", start: toZonedInput(start, e.timezone),
    end: toZonedInput(end, e.timezone), timezone: e.timezone, location: e.location ?? "", meetingUrl: e.meeting_url ?? "",
    maxAttendees: e.max_attendees === null ? "" : String(e.max_attendees), registrationRequired: e.registration_required,
    isPublic: e.is_public, recurrence: fromRrule(e.recurrence), createTopic: false,
  };
}

function RecurrenceBuilder({ value, onChange, error }: { value: Recurrence; onChange: (r: Recurrence) => void; error?: string | undefined }) {
  const set = (patch: Partial<Recurrence>) => onChange({ ...value, ...patch });
  const toggle = (day: Weekday) => set({ weekdays: value.weekdays.includes(day) ? value.weekdays.filter((d) => d !== day) : [...value.weekdays, day] });
  return (
    <fieldset className="space-y-3 rounded-md border border-gray-200 p-3 dark:border-gray-700">
      <legend className="px-1 text-sm font-medium">Repeats</legend>
      <div className="grid gap-3 sm:grid-cols-2">
        <SelectField label="Repeat" value={value.frequency} onChange={(e) => set({ frequency: e.target.value as Frequency })} error={error}>
          <option value="none">Does not repeat</option>
          <option value="DAILY">Daily</option>
          <option value="WEEKLY">Weekly</option>
          <option value="MONTHLY">Monthly</option>
          <option value="YEARLY">Yearly</option>
        </SelectField>
        {value.frequency !== "none" && (
          <TextField label="Every (interval)" type="number" min={1} max={99} value={value.interval} onChange={(e) => set({ interval: Math.max(1, Number(e.target.value) || 1) })} />
        )}
      </div>
      {value.frequency === "WEEKLY" && (
        <fieldset>
          <legend className="text-sm">On</legend>
          <div className="mt-1 flex flex-wrap gap-3">
            {WEEKDAYS.map((d) => <CheckboxField key={d} label={WEEKDAY_NAMES[d]} checked={value.weekdays.includes(d)} onChange={() => toggle(d)} />)}
          </div>
        </fieldset>
      )}
      {value.frequency !== "none" && (
        <div className="grid gap-3 sm:grid-cols-2">
          <SelectField label="Ends" value={value.ends} onChange={(e) => set({ ends: e.target.value as Recurrence["ends"] })}>
            <option value="count">After a number of times</option>
            <option value="until">On a date</option>
            <option value="never">Never</option>
          </SelectField>
          {value.ends === "count" && <TextField label="Number of times" type="number" min={1} max={1000} value={value.count} onChange={(e) => set({ count: Math.max(1, Number(e.target.value) || 1) })} />}
          {value.ends === "until" && <TextField label="Last date" type="date" value={value.until} onChange={(e) => set({ until: e.target.value })} />}
        </div>
      )}
      <p className="text-xs text-gray-600 dark:text-gray-400">{describeRecurrence(toRrule(value))}</p>
    </fieldset>
  );
}

function EventForm({ initial, editing, onSubmit, busy, error, submitLabel }: {
  initial: Draft; editing: "new" | "series" | "occurrence"; onSubmit: (input: EventInput) => void; busy: boolean; error: unknown; submitLabel: string;
}) {
  const [draft, setDraft] = useState(initial);
  const zones = useMemo(timeZones, []);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const [local, setLocal] = useState<Record<string, string>>({});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const start = fromZonedInput(draft.start, draft.timezone);
    const end = fromZonedInput(draft.end, draft.timezone);
    const problems: Record<string, string> = {};
    if (!start) problems.start_time = "Give a start date and time.";
    if (!end) problems.end_time = "Give an end date and time.";
    if (start && end && end <= start) problems.end_time = "The end must be after the start.";
    setLocal(problems);
    if (!start || !end || Object.keys(problems).length > 0) return;
    onSubmit({
      title: draft.title.trim(), description: draft.description || null, event_type: draft.eventType || null, start_time: start,
      end_time: end, timezone: draft.timezone, location: draft.location.trim() || null, meeting_url: draft.meetingUrl.trim() || null,
      max_attendees: draft.maxAttendees ? Number(draft.maxAttendees) : null, registration_required: draft.registrationRequired,
      is_public: draft.isPublic, recurrence: toRrule(draft.recurrence), ...(editing === "new" ? { create_topic: draft.createTopic } : {}),
    });
  };
  const err = (name: string) => local[name] ?? fieldError(error, name);
  const occurrenceOnly = editing === "occurrence";
  return (
    <form onSubmit={submit} className="space-y-4 p-4 sm:p-6" noValidate>
      <ErrorNotice error={error instanceof Error && !["title", "start_time", "end_time", "timezone", "recurrence", "meeting_url", "max_attendees", "location", "description", "create_topic"].some((f) => fieldError(error, f)) ? error : null} />
      <TextField label="Title" required maxLength={255} value={draft.title} onChange={(e) => set({ title: e.target.value })} error={err("title")} />
      <TextAreaField label="Description" rows={5} value={draft.description} onChange={(e) => set({ description: e.target.value })} hint="Markdown works here." error={err("description")} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Starts" type="datetime-local" required value={draft.start} onChange={(e) => set({ start: e.target.value })} error={err("start_time")} />
        <TextField label="Ends" type="datetime-local" required value={draft.end} onChange={(e) => set({ end: e.target.value })} error={err("end_time")} />
      </div>
      {!occurrenceOnly && (
        <SelectField label="Time zone" value={draft.timezone} onChange={(e) => set({ timezone: e.target.value })} error={err("timezone")} hint="Times above are on this zone's clock; a repeating event keeps its local time across daylight-saving changes.">
          {zones.map((z) => <option key={z} value={z}>{z.replaceAll("_", " ")}</option>)}
        </SelectField>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        {!occurrenceOnly && (
          <SelectField label="Type" value={draft.eventType} onChange={(e) => set({ eventType: e.target.value })}>
            <option value="">None</option>
            {TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </SelectField>
        )}
        <TextField label="Location" maxLength={255} value={draft.location} onChange={(e) => set({ location: e.target.value })} error={err("location")} />
      </div>
      <TextField label="Meeting link" type="url" placeholder="https://" maxLength={500} value={draft.meetingUrl} onChange={(e) => set({ meetingUrl: e.target.value })} hint="Shown to members only." error={err("meeting_url")} />
      {!occurrenceOnly && (
        <>
          <TextField label="Places" type="number" min={1} value={draft.maxAttendees} onChange={(e) => set({ maxAttendees: e.target.value })} hint="Leave empty for no limit; when full, people join a waitlist." error={err("max_attendees")} />
          <CheckboxField label="Registration required (the meeting link is shown to those going)" checked={draft.registrationRequired} onChange={(e) => set({ registrationRequired: e.target.checked })} />
          <CheckboxField label="Public (guests, and visitors of a public community, can see it)" checked={draft.isPublic} onChange={(e) => set({ isPublic: e.target.checked })} />
          <RecurrenceBuilder value={draft.recurrence} onChange={(recurrence) => set({ recurrence })} error={err("recurrence")} />
        </>
      )}
      {editing === "new" && (
        <div className="space-y-1">
          <CheckboxField label="Open a discussion topic for this event" checked={draft.createTopic} onChange={(e) => set({ createTopic: e.target.checked })} />
          {fieldError(error, "create_topic") && <p className="text-sm text-red-700 dark:text-red-400">{fieldError(error, "create_topic")}</p>}
        </div>
      )}
      <Button type="submit" busy={busy}>{submitLabel}</Button>
    </form>
  );
}

export function NewEventPage() {
  const { slug } = useOrg();
  const navigate = useNavigate();
  const create = useCreateEvent(slug);
  const [initial] = useState(blankDraft);
  return (
    <div>
      <PageHeader title="Create event" />
      <Card>
        <EventForm initial={initial} editing="new" busy={create.isPending} error={create.error} submitLabel="Create event"
          onSubmit={(input) => create.mutate(input, { onSuccess: ({ event }) => navigate(orgPath(slug, "events", event.id)) })} />
      </Card>
    </div>
  );
}

const OCCURRENCE_FIELDS = ["title", "description", "start_time", "end_time", "location", "meeting_url"] as const;

export function EditEventPage() {
  const { slug } = useOrg();
  const navigate = useNavigate();
  const { eventId = "" } = useParams();
  const [params] = useSearchParams();
  const occurrence = params.get("occurrence");
  const query = useEvent(slug, eventId, occurrence);
  const update = useUpdateEvent(slug, eventId);
  const [scope, setScope] = useState<"series" | "occurrence">("occurrence");
  if (query.isPending) return <ListSkeleton rows={6} label="Loading event" />;
  if (query.isError) return <ErrorNotice error={query.error} />;
  const event = query.data.event;
  const editing = event.is_recurring && scope === "occurrence" ? "occurrence" : "series";
  const back = `${orgPath(slug, "events", event.id)}?occurrence=${encodeURIComponent(event.occurrence_id)}`;
  const submit = (input: EventInput) => {
    const body: Partial<EventInput> & { occurrence?: string } = editing === "occurrence"
      ? { ...Object.fromEntries(OCCURRENCE_FIELDS.map((k) => [k, input[k]])), occurrence: event.occurrence_id }
      : input;
    if (editing === "occurrence") {
      if (body.description === null) delete body.description;
      if (body.location === null) delete body.location;
      if (body.meeting_url === null) delete body.meeting_url;
    }
    update.mutate(body, { onSuccess: () => navigate(back) });
  };
  return (
    <div>
      <PageHeader title={`Edit ${event.title}`} />
      {event.is_recurring && (
        <div role="group" aria-label="What to change" className="mb-4 flex flex-wrap gap-4 text-sm">
          <label className="flex items-center gap-2"><input type="radio" name="scope" checked={scope === "occurrence"} onChange={() => setScope("occurrence")} /> This occurrence only</label>
          <label className="flex items-center gap-2"><input type="radio" name="scope" checked={scope === "series"} onChange={() => setScope("series")} /> The whole series</label>
        </div>
      )}
      <Card>
        <EventForm key={editing} initial={draftOf(event, editing === "series" && event.is_recurring)} editing={editing}
          busy={update.isPending} error={update.error} submitLabel="Save changes" onSubmit={submit} />
      </Card>
    </div>
  );
}
