import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import { LinkButton } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { orgPath, useOrg } from "@/lib/org";
import { atLeast } from "@/lib/types";

import { useEventRange, type EventItem } from "../api";
import { dayKey, formatRange, formatTime } from "../lib";
import { RegistrationBadge } from "./registration-badge";

const pad = (n: number) => String(n).padStart(2, "0");

function parseMonth(text: string | null): Date {
  const match = text ? /^(\d{4})-(\d{2})$/.exec(text) : null;
  const now = new Date();
  return match ? new Date(Number(match[1]), Number(match[2]) - 1, 1) : new Date(now.getFullYear(), now.getMonth(), 1);
}

function monthParam(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
}

/** Monday of the week holding the 1st, through the Sunday of the week holding the last day. */
function monthGrid(first: Date): Date[] {
  const start = new Date(first);
  start.setDate(1 - ((first.getDay() + 6) % 7));
  const last = new Date(first.getFullYear(), first.getMonth() + 1, 0);
  const end = new Date(last);
  end.setDate(last.getDate() + (6 - ((last.getDay() + 6) % 7)));
  const days: Date[] = [];
  for (const d = new Date(start); d <= end; d.setDate(d.getDate() + 1)) days.push(new Date(d));
  return days;
}

function eventLink(slug: string, e: EventItem): string {
  const path = orgPath(slug, "events", e.id);
  return e.is_recurring ? `${path}?occurrence=${encodeURIComponent(e.occurrence_id)}` : path;
}

function byDay(events: EventItem[]): Map<string, EventItem[]> {
  const days = new Map<string, EventItem[]>();
  for (const e of events) {
    const key = dayKey(e.start_time);
    days.set(key, [...(days.get(key) ?? []), e]);
  }
  return days;
}

const WEEKDAY_LABELS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function MonthView({ slug, first, events }: { slug: string; first: Date; events: EventItem[] }) {
  const days = monthGrid(first);
  const grouped = byDay(events);
  const today = dayKey(new Date());
  const title = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" }).format(first);
  const weeks = Array.from({ length: days.length / 7 }, (_, i) => days.slice(i * 7, i * 7 + 7));
  return (
    // Wider than a phone: the month scrolls sideways, by keyboard too (a focusable, named region;
    // axe's scrollable-region-focusable is the reason for the exception).
    // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
    <div role="region" aria-label={`${title}, scrolls sideways`} tabIndex={0} className="overflow-x-auto">
      <table className="w-full min-w-[42rem] table-fixed border-collapse text-sm">
        <caption className="sr-only">{title}</caption>
        <thead>
          <tr>{WEEKDAY_LABELS.map((d) => <th key={d} scope="col" className="border-b border-gray-200 py-2 text-xs font-medium text-gray-600 uppercase dark:border-gray-800 dark:text-gray-400">{d}</th>)}</tr>
        </thead>
        <tbody>
          {weeks.map((week) => (
            <tr key={dayKey(week[0] ?? first)}>
              {week.map((day) => {
                const key = dayKey(day);
                const inMonth = day.getMonth() === first.getMonth();
                const items = grouped.get(key) ?? [];
                return (
                  <td key={key} className={`h-28 border border-gray-200 p-1 align-top dark:border-gray-800 ${inMonth ? "" : "bg-gray-50 text-gray-600 dark:bg-gray-950 dark:text-gray-400"}`}>
                    <div className={`mb-1 text-xs font-medium ${key === today ? "inline-block rounded-full bg-blue-700 px-1.5 text-white" : ""}`}>
                      <time dateTime={key}>{day.getDate()}</time>
                    </div>
                    <ul className="space-y-1">
                      {items.map((e) => (
                        <li key={e.occurrence_id}>
                          <Link to={eventLink(slug, e)} className={`block truncate rounded px-1 py-0.5 text-xs hover:underline ${e.status === "cancelled" ? "bg-gray-100 text-gray-600 line-through dark:bg-gray-800" : "bg-purple-50 text-purple-900 dark:bg-purple-950 dark:text-purple-100"}`}>
                            <span className="font-medium">{formatTime(e.start_time)}</span> {e.title}
                          </Link>
                        </li>
                      ))}
                    </ul>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ListView({ slug, events }: { slug: string; events: EventItem[] }) {
  if (events.length === 0) return <EmptyState title="No upcoming events" />;
  const grouped = [...byDay(events).entries()];
  const dayTitle = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  return (
    <div className="divide-y divide-gray-200 dark:divide-gray-800">
      {grouped.map(([key, items]) => (
        <section key={key} aria-labelledby={`day-${key}`} className="px-4 py-3 sm:px-6">
          <h2 id={`day-${key}`} className="mb-2 text-sm font-semibold text-gray-700 dark:text-gray-300">{dayTitle.format(new Date(items[0]?.start_time ?? key))}</h2>
          <ul className="space-y-3">
            {items.map((e) => (
              <li key={e.occurrence_id} className="flex flex-col gap-1 sm:flex-row sm:items-baseline sm:gap-4">
                <span className="w-40 shrink-0 text-sm text-gray-600 dark:text-gray-400">{formatRange(e.start_time, e.end_time)}</span>
                <div className="min-w-0">
                  <Link to={eventLink(slug, e)} className={`font-medium text-blue-700 hover:underline dark:text-blue-300 ${e.status === "cancelled" ? "line-through" : ""}`}>{e.title}</Link>
                  <div className="mt-1 flex flex-wrap items-center gap-2 text-xs text-gray-600 dark:text-gray-400">
                    {e.status === "cancelled" && <Badge tone="red">Cancelled</Badge>}
                    {!e.is_public && <Badge tone="amber">Members only</Badge>}
                    {e.is_recurring && <Badge tone="blue">Repeats</Badge>}
                    <RegistrationBadge registration={e.my_registration} />
                    {e.location && <span>{e.location}</span>}
                    <span>{e.attendee_count} going{e.max_attendees !== null ? ` of ${e.max_attendees}` : ""}</span>
                  </div>
                </div>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

export function CalendarPage() {
  const { slug, role } = useOrg();
  const [params, setParams] = useSearchParams();
  const view = params.get("view") === "list" ? "list" : "month";
  const first = parseMonth(params.get("month"));
  const grid = monthGrid(first);
  // The list starts now (to the minute, so the query key stays put while the page is open).
  const [now] = useState(() => `${new Date().toISOString().slice(0, 16)}:00Z`);
  const end = new Date(grid[grid.length - 1] ?? first);
  end.setDate(end.getDate() + 1);
  const range = useEventRange(slug, view === "month" ? (grid[0] ?? first).toISOString() : now,
    view === "month" ? end.toISOString() : null);
  const events = range.data?.pages.flatMap((p) => p.events) ?? [];
  const go = (next: Record<string, string>) => setParams({ view, month: monthParam(first), ...next });
  const shift = (months: number) => go({ month: monthParam(new Date(first.getFullYear(), first.getMonth() + months, 1)) });
  const monthTitle = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" }).format(first);
  return (
    <div>
      <PageHeader
        title="Events"
        subtitle={view === "month" ? monthTitle : "Upcoming"}
        actions={<>
          {atLeast(role, "moderator") && <LinkButton to={orgPath(slug, "events", "new")}>Create event</LinkButton>}
          {role && <LinkButton variant="secondary" to="/me/calendar">Subscribe</LinkButton>}
        </>}
      />
      <Card>
        <div className="flex flex-wrap items-center justify-between gap-2 border-b border-gray-200 px-4 py-3 sm:px-6 dark:border-gray-800">
          <div role="group" aria-label="View" className="inline-flex rounded-md shadow-sm">
            {(["month", "list"] as const).map((v) => (
              <button key={v} type="button" aria-pressed={view === v} onClick={() => go({ view: v })}
                className={`border border-gray-300 px-3 py-1.5 text-sm first:rounded-l-md last:rounded-r-md dark:border-gray-600 ${view === v ? "bg-blue-700 text-white" : "bg-white text-gray-900 hover:bg-gray-50 dark:bg-gray-800 dark:text-gray-100"}`}>
                {v === "month" ? "Month" : "List"}
              </button>
            ))}
          </div>
          {view === "month" && (
            <div className="flex items-center gap-2">
              <button type="button" onClick={() => shift(-1)} className="rounded-md px-2 py-1 text-sm hover:bg-gray-100 dark:hover:bg-gray-800">← Previous month</button>
              <button type="button" onClick={() => go({ month: monthParam(new Date()) })} className="rounded-md px-2 py-1 text-sm hover:bg-gray-100 dark:hover:bg-gray-800">Today</button>
              <button type="button" onClick={() => shift(1)} className="rounded-md px-2 py-1 text-sm hover:bg-gray-100 dark:hover:bg-gray-800">Next month →</button>
            </div>
          )}
        </div>
        {range.isPending ? <ListSkeleton rows={5} label="Loading events" />
          : range.isError ? <div className="p-4"><ErrorNotice error={range.error} /></div>
          : view === "month" ? <MonthView slug={slug} first={first} events={events} />
          : <ListView slug={slug} events={events} />}
        {range.hasNextPage && (
          <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800">
            <button type="button" className="text-sm text-blue-700 hover:underline dark:text-blue-300" onClick={() => void range.fetchNextPage()}>Show more</button>
          </div>
        )}
      </Card>
    </div>
  );
}
