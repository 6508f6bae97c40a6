import { useState, type ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { SelectField, TextField } from "@/components/ui/field";
import { PlanPrompt, isPlanRequired } from "@/features/billing/components/plan-prompt";
import { useOrg } from "@/lib/org";

import { daysAgo, downloadCsv, useAnalytics, type Analytics, type Granularity, type Period, type Range } from "../api";

const PRESETS: { days: number; label: string }[] = [
  { days: 7, label: "Last 7 days" }, { days: 30, label: "Last 30 days" }, { days: 90, label: "Last 90 days" }, { days: 365, label: "Last 12 months" },
];
const GRANULARITIES: { value: Granularity; label: string }[] = [{ value: "day", label: "Day" }, { value: "week", label: "Week" }, { value: "month", label: "Month" }];

// Colours chosen to stay distinct for the common colour-vision deficiencies (Okabe-Ito).
const COLOURS = { a: "#0072B2", b: "#E69F00", c: "#009E73", d: "#CC79A7" };

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}

function score(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toFixed(1);
}

function minutes(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (value < 60) return `${Math.round(value)} min`;
  return value < 60 * 48 ? `${(value / 60).toFixed(1)} h` : `${(value / 60 / 24).toFixed(1)} days`;
}

function Stat({ value, label, hint }: { value: ReactNode; label: string; hint?: string }) {
  return (
    <div role="group" aria-label={label} className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-800">
      <div className="text-2xl font-bold text-gray-900 dark:text-gray-100">{value}</div>
      <div className="text-sm text-gray-700 dark:text-gray-300">{label}</div>
      {hint && <div className="mt-1 text-xs text-gray-600 dark:text-gray-400">{hint}</div>}
    </div>
  );
}

function Chart({ title, series, lines, kind = "line" }: {
  title: string; series: Period[]; lines: { key: keyof Period; name: string; colour: string }[]; kind?: "line" | "bar";
}) {
  const Frame = kind === "line" ? LineChart : BarChart;
  return (
    <Card title={title}>
      <figure aria-label={title} className="h-64 p-2 sm:p-4">
        <ResponsiveContainer width="100%" height="100%">
          <Frame data={series} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#d1d5db" />
            <XAxis dataKey="period" tick={{ fontSize: 12 }} minTickGap={16} />
            <YAxis allowDecimals={false} tick={{ fontSize: 12 }} />
            <Tooltip />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {lines.map((l) => kind === "line"
              ? <Line key={l.key} type="monotone" dataKey={l.key} name={l.name} stroke={l.colour} strokeWidth={2} dot={false} isAnimationActive={false} />
              : <Bar key={l.key} dataKey={l.key} name={l.name} fill={l.colour} isAnimationActive={false} />)}
          </Frame>
        </ResponsiveContainer>
      </figure>
    </Card>
  );
}

function Retention({ data }: { data: Analytics }) {
  if (data.retention.length === 0) return <EmptyState title="No cohorts in this range">Members who join in the range appear here by join month.</EmptyState>;
  const width = Math.max(...data.retention.map((c) => c.sizes.length));
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full text-sm">
        <caption className="sr-only">Members of each join month still active in the months after</caption>
        <thead>
          <tr className="text-left text-gray-700 dark:text-gray-300">
            <th scope="col" className="px-4 py-2 font-medium">Joined</th>
            {Array.from({ length: width }, (_, i) => <th key={i} scope="col" className="px-3 py-2 text-right font-medium">{i === 0 ? "Members" : `Month ${i}`}</th>)}
          </tr>
        </thead>
        <tbody className="divide-y divide-gray-200 dark:divide-gray-800">
          {data.retention.map((cohort) => (
            <tr key={cohort.cohort}>
              <th scope="row" className="px-4 py-2 text-left font-medium">{cohort.cohort}</th>
              {cohort.sizes.map((size, i) => (
                <td key={i} className="px-3 py-2 text-right tabular-nums">
                  {i === 0 || !cohort.sizes[0] ? size : <>{size} <span className="text-xs text-gray-600 dark:text-gray-400">({percent(size / cohort.sizes[0])})</span></>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Distribution({ counts, label }: { counts: number[]; label: string }) {
  const total = counts.reduce((a, b) => a + b, 0);
  return (
    <dl aria-label={label} className="space-y-1">
      {counts.map((count, i) => (
        <div key={i} className="flex items-center gap-2 text-sm">
          <dt className="w-6 shrink-0 text-right">{i + 1}★</dt>
          <dd className="flex flex-1 items-center gap-2">
            <span className="h-2 rounded bg-blue-700" style={{ width: `${total ? Math.max(2, (count / total) * 100) : 0}%` }} aria-hidden="true" />
            <span className="tabular-nums text-gray-700 dark:text-gray-300">{count}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}

function SatisfactionPanel({ data }: { data: Analytics }) {
  const { csat, events, question } = data.satisfaction;
  return (
    <Card title="Satisfaction">
      <div className="grid gap-6 p-4 sm:grid-cols-2 sm:p-6">
        <section aria-label="Community satisfaction" className="space-y-3">
          <h3 className="font-medium">“{question}”</h3>
          <div className="grid grid-cols-2 gap-3">
            <Stat value={score(csat.average)} label="Average (1–5)" />
            <Stat value={percent(csat.satisfied_share)} label="Satisfied (4–5)" />
            <Stat value={csat.responses} label="Answers" hint={`${csat.dismissals} dismissed`} />
            <Stat value={percent(csat.response_rate)} label="Response rate" />
          </div>
          <Distribution counts={csat.distribution} label="Community satisfaction answers by score" />
        </section>
        <section aria-label="Event ratings" className="space-y-3">
          <h3 className="font-medium">Event ratings by attendees</h3>
          <div className="grid grid-cols-2 gap-3">
            <Stat value={score(events.average)} label="Average (1–5)" />
            <Stat value={events.ratings} label="Ratings" hint={`of ${events.attendees} attendees`} />
            <Stat value={percent(events.response_rate)} label="Response rate" />
          </div>
          <Distribution counts={events.distribution} label="Event ratings by score" />
        </section>
      </div>
    </Card>
  );
}

export function AnalyticsPage() {
  const { slug } = useOrg();
  const [range, setRange] = useState<Range>({ from: daysAgo(29), to: daysAgo(0), granularity: "day" });
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<unknown>(null);
  const analytics = useAnalytics(slug, range);
  const data = analytics.data;
  const set = (next: Partial<Range>) => setRange((current) => ({ ...current, ...next }));
  const preset = PRESETS.find((p) => range.from === daysAgo(p.days - 1) && range.to === daysAgo(0));
  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try { await downloadCsv(slug, range); } catch (failure) { setExportError(failure); } finally { setExporting(false); }
  };
  if (analytics.isError && isPlanRequired(analytics.error)) {
    return (
      <div className="mx-auto max-w-5xl space-y-6">
        <PageHeader title="Analytics" subtitle="Engagement, retention and satisfaction" />
        <PlanPrompt error={analytics.error} />
      </div>
    );
  }
  return (
    <div className="mx-auto max-w-6xl space-y-6">
      <PageHeader title="Analytics" subtitle="Engagement, retention and satisfaction"
        actions={<Button variant="secondary" busy={exporting} onClick={() => void exportCsv()}>Download CSV</Button>} />
      <ErrorNotice error={exportError} />
      <Card title="Range">
        <div className="grid gap-3 p-4 sm:grid-cols-4 sm:px-6">
          <SelectField label="Period" value={preset ? String(preset.days) : "custom"}
            onChange={(e) => { if (e.target.value !== "custom") set({ from: daysAgo(Number(e.target.value) - 1), to: daysAgo(0), ...(Number(e.target.value) > 90 ? { granularity: "month" as const } : {}) }); }}>
            {PRESETS.map((p) => <option key={p.days} value={p.days}>{p.label}</option>)}
            <option value="custom">Custom</option>
          </SelectField>
          <TextField label="From" type="date" value={range.from} max={range.to} onChange={(e) => { if (e.target.value) set({ from: e.target.value }); }} />
          <TextField label="To" type="date" value={range.to} min={range.from} max={daysAgo(0)} onChange={(e) => { if (e.target.value) set({ to: e.target.value }); }} />
          <SelectField label="Group by" value={range.granularity} onChange={(e) => set({ granularity: e.target.value as Granularity })}>
            {GRANULARITIES.map((g) => <option key={g.value} value={g.value}>{g.label}</option>)}
          </SelectField>
        </div>
      </Card>
      {analytics.isError ? <ErrorNotice error={analytics.error} /> : !data ? <ListSkeleton rows={6} label="Loading analytics" /> : (
        <>
          <section aria-label="Totals" className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
            <Stat value={data.totals.members} label="Members" />
            <Stat value={data.totals.active_members} label="Active members" hint={`${percent(data.totals.members ? data.totals.active_members / data.totals.members : null)} engagement`} />
            <Stat value={data.totals.new_members} label="New members" />
            <Stat value={data.totals.posts} label="Replies" hint={`${data.totals.topics} ${data.totals.topics === 1 ? "topic" : "topics"} · ${data.totals.solved_topics} solved`} />
            <Stat value={data.totals.messages} label="Messages" />
            <Stat value={minutes(data.totals.median_first_reply_minutes)} label="Median first reply" />
            <Stat value={data.totals.event_registrations} label="Event registrations" hint={`${data.totals.event_attendance} attended`} />
            <Stat value={data.totals.resource_downloads} label="Resource downloads" />
            <Stat value={score(data.totals.csat_average)} label="Satisfaction" hint={`${data.totals.csat_responses} answers`} />
          </section>
          <div className="grid gap-6 lg:grid-cols-2">
            <Chart title="Members" series={data.series} lines={[
              { key: "active_members", name: "Active", colour: COLOURS.a }, { key: "new_members", name: "New", colour: COLOURS.b },
            ]} />
            <Chart title="Forum activity" kind="bar" series={data.series} lines={[
              { key: "posts", name: "Replies", colour: COLOURS.a }, { key: "topics", name: "Topics", colour: COLOURS.b }, { key: "solved_topics", name: "Solved", colour: COLOURS.c },
            ]} />
            <Chart title="Chat" kind="bar" series={data.series} lines={[{ key: "messages", name: "Messages", colour: COLOURS.d }]} />
            <Chart title="Events and resources" series={data.series} lines={[
              { key: "event_registrations", name: "Registrations", colour: COLOURS.a }, { key: "event_attendance", name: "Attendance", colour: COLOURS.c },
              { key: "resource_downloads", name: "Downloads", colour: COLOURS.b },
            ]} />
          </div>
          <Card title="Retention by join month"><Retention data={data} /></Card>
          <SatisfactionPanel data={data} />
        </>
      )}
    </div>
  );
}
