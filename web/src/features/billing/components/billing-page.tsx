import { useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, ListSkeleton, Notice } from "@/components/ui/feedback";
import { useOrg } from "@/lib/org";
import { fullTime } from "@/lib/time";
import { atLeast } from "@/lib/types";

import { useBilling, useCheckout, usePortal, type BillingState, type Tier } from "../api";

// The seed's plans (API.md): what each costs and unlocks.
const PLANS: { tier: Tier; name: string; price: string; seats: string; features: string[] }[] = [
  { tier: "community", name: "Community", price: "$29 / month", seats: "Up to 50 members", features: ["Forums, chat, events, resources, search", "1 GB of storage"] },
  { tier: "organization", name: "Organization", price: "$99 / month", seats: "Up to 250 members", features: ["Everything in Community", "Integrations (webhooks, Slack, Discord)", "Analytics series, cohorts, CSV", "10 GB of storage"] },
  { tier: "enterprise", name: "Enterprise", price: "$299 / month", seats: "Up to 1,000 members", features: ["Everything in Organization", "Custom branding and domain", "100 GB of storage"] },
  { tier: "custom", name: "Custom", price: "Per seat", seats: "Unlimited members", features: ["Everything in Enterprise", "White-label", "Storage set for you"] },
];

const STATUS_TONE = { none: "gray", trialing: "blue", active: "green", past_due: "amber", canceled: "red" } as const;

function money(cents: number, currency = "usd"): string {
  return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}

function Banners({ billing }: { billing: BillingState }) {
  const over = billing.member_limit !== null && billing.seats_used > billing.member_limit;
  return (
    <>
      {billing.status === "past_due" && (
        <div role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          The last payment failed. Update the payment method in the billing portal
          {billing.joins_blocked_after ? <> — from {fullTime(billing.joins_blocked_after)} nobody new can join until it is paid.</> : "."}
        </div>
      )}
      {over && (
        <div role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          {billing.seats_used} members on a plan for {billing.member_limit}: nobody is removed, but new members cannot join until you upgrade or make room.
        </div>
      )}
    </>
  );
}

export function BillingPage() {
  const { slug, role } = useOrg();
  const billing = useBilling(slug);
  const checkout = useCheckout(slug);
  const portal = usePortal(slug);
  const [params] = useSearchParams();
  const isOwner = atLeast(role, "owner");
  if (billing.isPending) return <ListSkeleton label="Loading billing" />;
  if (billing.isError) return <ErrorNotice error={billing.error} />;
  const b = billing.data;
  const subscribed = b.status === "active" || b.status === "trialing" || b.status === "past_due";
  return (
    <div className="space-y-6">
      <PageHeader title="Billing" subtitle={<>Plan <strong className="capitalize">{b.tier}</strong> · <Badge tone={STATUS_TONE[b.status]}>{b.status.replace("_", " ")}</Badge></>}
        actions={isOwner && b.enabled && b.has_customer ? <Button variant="secondary" busy={portal.isPending} onClick={() => portal.mutate()}>Manage billing</Button> : undefined} />
      {params.get("checkout") === "success" && <Notice>Thanks! The new plan applies as soon as Stripe confirms the payment.</Notice>}
      {params.get("checkout") === "cancelled" && <Notice>Checkout was cancelled; nothing changed.</Notice>}
      <Banners billing={b} />
      {!b.enabled && (
        <Notice>Billing is off on this server: every feature is available, and an operator changes the seat limit with <code>community org set-tier</code>.</Notice>
      )}
      <Card title="Seats">
        <div className="p-4 sm:p-6">
          <p className="text-sm"><strong>{b.seats_used}</strong> of {b.member_limit ?? "unlimited"} seats used</p>
          {b.member_limit !== null && (
            <div className="mt-2 h-2 w-full overflow-hidden rounded bg-gray-200 dark:bg-gray-800" role="progressbar" aria-label="Seats used" aria-valuemin={0} aria-valuemax={b.member_limit} aria-valuenow={b.seats_used}>
              <div className="h-full bg-blue-600" style={{ width: `${Math.min(100, (b.seats_used / Math.max(1, b.member_limit)) * 100)}%` }} />
            </div>
          )}
          {b.current_period_end && <p className="mt-3 text-sm text-gray-700 dark:text-gray-300">{b.cancel_at_period_end ? "Ends" : "Renews"} on {fullTime(b.current_period_end)}</p>}
        </div>
      </Card>
      {b.enabled && (
        <section aria-labelledby="plans-heading" className="space-y-3">
          <h2 id="plans-heading" className="text-lg font-semibold">Plans</h2>
          <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            {PLANS.map((plan) => {
              const current = plan.tier === b.tier && subscribed;
              return (
                <li key={plan.tier} className={`flex flex-col rounded-lg border p-4 ${current ? "border-blue-600 ring-1 ring-blue-600" : "border-gray-200 dark:border-gray-800"}`}>
                  <h3 className="font-semibold">{plan.name}</h3>
                  <p className="text-xl font-bold">{plan.price}</p>
                  <p className="text-sm text-gray-700 dark:text-gray-300">{plan.seats}</p>
                  <ul className="mt-2 flex-1 list-disc space-y-1 pl-5 text-sm">{plan.features.map((f) => <li key={f}>{f}</li>)}</ul>
                  <div className="mt-4">
                    {current ? <Badge tone="blue">Current plan</Badge>
                      : !isOwner ? <p className="text-xs text-gray-600 dark:text-gray-400">Only an owner changes the plan.</p>
                        : subscribed ? <Button variant="secondary" size="sm" busy={portal.isPending} onClick={() => portal.mutate()}>Switch in the portal</Button>
                          : <Button size="sm" busy={checkout.isPending && checkout.variables === plan.tier} onClick={() => checkout.mutate(plan.tier)}>{plan.tier === b.tier ? "Subscribe to" : "Upgrade to"} {plan.name}</Button>}
                  </div>
                </li>
              );
            })}
          </ul>
          <ErrorNotice error={checkout.error ?? portal.error} />
        </section>
      )}
      <Card title="Invoices">
        {b.invoices.length === 0 ? <p className="p-4 text-sm text-gray-700 dark:text-gray-300 sm:p-6">No invoices yet.</p> : (
          <table className="w-full text-left text-sm">
            <thead className="text-xs uppercase text-gray-600 dark:text-gray-400"><tr><th className="px-4 py-2 sm:px-6">Invoice</th><th className="px-4 py-2">Date</th><th className="px-4 py-2">Amount</th><th className="px-4 py-2">Status</th></tr></thead>
            <tbody className="divide-y divide-gray-200 dark:divide-gray-800">
              {b.invoices.map((inv) => (
                <tr key={inv.id}>
                  <td className="px-4 py-2 sm:px-6">{inv.hosted_invoice_url ? <a className="text-blue-700 underline dark:text-blue-300" href={inv.hosted_invoice_url} rel="noreferrer noopener" target="_blank">{inv.number ?? inv.id}</a> : inv.number ?? inv.id}</td>
                  <td className="px-4 py-2">{fullTime(inv.created_at)}</td>
                  <td className="px-4 py-2">{money(inv.amount_due, inv.currency)}</td>
                  <td className="px-4 py-2"><Badge tone={inv.status === "paid" ? "green" : inv.status === "open" ? "amber" : "gray"}>{inv.status}</Badge></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
