import { useState, type FormEvent } from "react";

import { Button } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, fieldError, ListSkeleton, Notice } from "@/components/ui/feedback";
import { CheckboxField, SelectField, TextField } from "@/components/ui/field";
import { isPlanRequired, PlanPrompt } from "@/features/billing";
import { useOrg } from "@/lib/org";
import { fullTime, timeAgo } from "@/lib/time";

import {
  EVENT_TYPES, useCreateIntegration, useDeleteIntegration, useDeliveries, useIntegrations, useRedeliver,
  useRotateSecret, useTestIntegration, useUpdateIntegration, type EventName, type Integration, type Kind,
} from "../api";

const KIND_LABEL: Record<Kind, string> = { webhook: "Webhook", slack: "Slack", discord: "Discord" };
const URL_HINT: Record<Kind, string> = {
  webhook: "Your endpoint; deliveries are signed (Standard Webhooks).",
  slack: "A Slack incoming-webhook URL (https://hooks.slack.com/services/…).",
  discord: "A Discord channel webhook URL (https://discord.com/api/webhooks/…).",
};

function SecretNotice({ secret }: { secret: string }) {
  return (
    <div role="status" className="space-y-1 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
      <p>The signing secret is shown once. Store it with your receiver now:</p>
      <code className="block break-all rounded bg-white px-2 py-1 font-mono text-xs text-gray-900 dark:bg-gray-900 dark:text-gray-100">{secret}</code>
    </div>
  );
}

function AddIntegration({ onSecret }: { onSecret: (secret: string) => void }) {
  const { slug } = useOrg();
  const create = useCreateIntegration(slug);
  const [kind, setKind] = useState<Kind>("webhook");
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [events, setEvents] = useState<EventName[]>(["topic_created"]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ kind, url, events, name: name || undefined }, {
      onSuccess: ({ integration }) => { setUrl(""); setName(""); if (integration.secret) onSecret(integration.secret); },
    });
  };
  return (
    <Card title="Add an integration">
      <form onSubmit={submit} className="space-y-4 p-4 sm:p-6">
        <div className="grid gap-4 sm:grid-cols-3">
          <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {(Object.keys(KIND_LABEL) as Kind[]).map((k) => <option key={k} value={k}>{KIND_LABEL[k]}</option>)}
          </SelectField>
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} placeholder={KIND_LABEL[kind]} error={fieldError(create.error, "name")} maxLength={100} />
          <TextField label="URL" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} hint={URL_HINT[kind]} error={fieldError(create.error, "url")} />
        </div>
        <fieldset>
          <legend className="text-sm font-medium">Send</legend>
          <div className="mt-2 grid gap-2 sm:grid-cols-3">
            {EVENT_TYPES.map((t) => (
              <CheckboxField key={t.value} label={t.label} checked={events.includes(t.value)}
                onChange={(e) => setEvents(e.target.checked ? [...events, t.value] : events.filter((x) => x !== t.value))} />
            ))}
          </div>
          {fieldError(create.error, "events") && <p className="mt-1 text-sm text-red-700 dark:text-red-400">{fieldError(create.error, "events")}</p>}
        </fieldset>
        <p className="text-xs text-gray-600 dark:text-gray-400">Content of forums members cannot read is never sent.</p>
        {isPlanRequired(create.error) ? <PlanPrompt error={create.error} /> : <ErrorNotice error={create.error} />}
        <Button type="submit" busy={create.isPending} disabled={events.length === 0}>Add integration</Button>
      </form>
    </Card>
  );
}

const STATUS_TONE = { pending: "amber", delivered: "green", failed: "red" } as const;

function DeliveryLog({ integration }: { integration: Integration }) {
  const { slug } = useOrg();
  const log = useDeliveries(slug, integration.id);
  const redeliver = useRedeliver(slug, integration.id);
  const rows = log.data?.pages.flatMap((p) => p.deliveries) ?? [];
  if (log.isPending) return <ListSkeleton rows={2} label="Loading deliveries" />;
  if (log.isError) return <ErrorNotice error={log.error} />;
  if (rows.length === 0) return <p className="text-sm text-gray-700 dark:text-gray-300">No deliveries yet. Send a test to try it.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Deliveries to {integration.name}</caption>
        <thead className="text-xs uppercase text-gray-600 dark:text-gray-400">
          <tr><th className="py-1 pr-3">Event</th><th className="py-1 pr-3">Status</th><th className="py-1 pr-3">Attempts</th><th className="py-1 pr-3">Answer</th><th className="py-1 pr-3">When</th><th className="py-1"><span className="sr-only">Actions</span></th></tr>
        </thead>
        <tbody className="divide-y divide-gray-200 dark:divide-gray-800">
          {rows.map((d) => (
            <tr key={d.id}>
              <td className="py-1 pr-3">{d.event_type.replace(/_/g, " ")}</td>
              <td className="py-1 pr-3"><Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge></td>
              <td className="py-1 pr-3">{d.attempts}</td>
              <td className="py-1 pr-3">{d.response_status ?? "—"}{d.latency_ms !== null && <span className="text-gray-600 dark:text-gray-400"> · {d.latency_ms} ms</span>}{d.error && <span className="block text-xs text-red-700 dark:text-red-400">{d.error}</span>}</td>
              <td className="py-1 pr-3"><time dateTime={d.created_at} title={fullTime(d.created_at)}>{timeAgo(d.created_at)}</time>{d.next_attempt_at && <span className="block text-xs text-gray-600 dark:text-gray-400">retry {timeAgo(d.next_attempt_at)}</span>}</td>
              <td className="py-1 text-right"><Button size="sm" variant="secondary" busy={redeliver.isPending && redeliver.variables === d.id} onClick={() => redeliver.mutate(d.id)}>Redeliver</Button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {log.hasNextPage && <Button variant="secondary" size="sm" className="mt-2" onClick={() => void log.fetchNextPage()}>Older deliveries</Button>}
      <ErrorNotice error={redeliver.error} />
    </div>
  );
}

function IntegrationItem({ integration, onSecret }: { integration: Integration; onSecret: (secret: string) => void }) {
  const { slug } = useOrg();
  const update = useUpdateIntegration(slug);
  const remove = useDeleteIntegration(slug);
  const rotate = useRotateSecret(slug);
  const test = useTestIntegration(slug);
  const [open, setOpen] = useState(false);
  return (
    <li className="space-y-3 px-4 py-4 sm:px-6">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div>
          <p className="font-medium">{integration.name} <Badge tone="purple">{KIND_LABEL[integration.kind]}</Badge>{" "}
            {integration.enabled ? <Badge tone="green">on</Badge> : <Badge tone="gray">off</Badge>}</p>
          <p className="break-all text-xs text-gray-600 dark:text-gray-400">{integration.url}</p>
          <p className="text-xs text-gray-700 dark:text-gray-300">{integration.events.map((e) => EVENT_TYPES.find((t) => t.value === e)?.label ?? e).join(", ")}</p>
          {integration.disabled_reason && <p className="text-xs text-red-700 dark:text-red-400">Turned off: {integration.disabled_reason}</p>}
          {integration.failing_since && integration.enabled && <p className="text-xs text-amber-800 dark:text-amber-300">Failing since {fullTime(integration.failing_since)}</p>}
        </div>
        <div className="flex flex-wrap gap-2" role="group" aria-label={`Actions for ${integration.name}`}>
          <Button size="sm" variant="secondary" busy={test.isPending} onClick={() => { test.mutate(integration.id); setOpen(true); }}>Send test</Button>
          <Button size="sm" variant="secondary" busy={update.isPending} onClick={() => update.mutate({ id: integration.id, enabled: !integration.enabled })}>{integration.enabled ? "Turn off" : "Turn on"}</Button>
          {integration.kind === "webhook" && <Button size="sm" variant="secondary" busy={rotate.isPending} onClick={() => rotate.mutate(integration.id, { onSuccess: ({ integration: i }) => { if (i.secret) onSecret(i.secret); } })}>Rotate secret</Button>}
          <Button size="sm" variant="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>{open ? "Hide deliveries" : "Deliveries"}</Button>
          <Button size="sm" variant="danger" busy={remove.isPending} onClick={() => { if (window.confirm(`Remove ${integration.name}?`)) remove.mutate(integration.id); }}>Remove</Button>
        </div>
      </div>
      {isPlanRequired(update.error ?? test.error) ? <PlanPrompt error={update.error ?? test.error} />
        : <ErrorNotice error={update.error ?? remove.error ?? rotate.error ?? test.error} />}
      {open && <DeliveryLog integration={integration} />}
    </li>
  );
}

export function IntegrationsPage() {
  const { slug } = useOrg();
  const list = useIntegrations(slug);
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <div className="space-y-6">
      <PageHeader title="Integrations" subtitle="Send what happens here to your own endpoints, Slack or Discord." />
      {secret && <SecretNotice secret={secret} />}
      <AddIntegration onSecret={setSecret} />
      <Card title="Connected">
        {list.isPending ? <ListSkeleton label="Loading integrations" /> : list.isError ? <div className="p-4"><ErrorNotice error={list.error} /></div>
          : list.data.length === 0 ? <EmptyState title="No integrations yet"><Notice>Add one above; a test delivery shows it works.</Notice></EmptyState> : (
            <ul className="divide-y divide-gray-200 dark:divide-gray-800">{list.data.map((i) => <IntegrationItem key={i.id} integration={i} onSecret={setSecret} />)}</ul>
          )}
      </Card>
    </div>
  );
}
