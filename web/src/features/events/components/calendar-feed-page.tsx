import { useState } from "react";

import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, ListSkeleton, Notice } from "@/components/ui/feedback";
import { TextField } from "@/components/ui/field";
import { fullTime } from "@/lib/time";

import { useCreateFeed, useFeed, useRevokeFeed } from "../api";

/** The private calendar feed: every event the person registered for, in every community, for their calendar app. */
export function CalendarFeedPage() {
  const feed = useFeed();
  const create = useCreateFeed();
  const revoke = useRevokeFeed();
  const [copied, setCopied] = useState(false);
  const url = create.data?.url ?? null;
  const active = feed.data?.feed ?? null;
  const copy = async () => {
    if (!url) return;
    await navigator.clipboard.writeText(url);
    setCopied(true);
  };
  return (
    <div className="mx-auto max-w-2xl">
      <PageHeader title="Calendar feed" subtitle="Subscribe in Google Calendar, Apple Calendar or Outlook to see every event you registered for, in every community." />
      <Card>
        <div className="space-y-4 p-4 sm:p-6">
          {feed.isPending ? <ListSkeleton rows={2} label="Loading feed" /> : <ErrorNotice error={feed.error ?? create.error ?? revoke.error} />}
          {url ? (
            <>
              <Notice>Your feed address is ready. Copy it now: for your safety it is shown only once.</Notice>
              <TextField label="Feed URL" readOnly value={url} onFocus={(e) => e.currentTarget.select()} hint="Anyone with this address can see your registered events: keep it private." />
              <div className="flex flex-wrap gap-2">
                <Button variant="secondary" onClick={() => void copy()}>{copied ? "Copied" : "Copy"}</Button>
                <a className="inline-flex items-center rounded-md px-3 py-2 text-sm text-blue-700 hover:underline dark:text-blue-300" href={url.replace(/^https?:/, "webcal:")}>Open in my calendar app</a>
              </div>
            </>
          ) : active ? (
            <p className="text-sm">A feed address is active since <time dateTime={active.created_at}>{fullTime(active.created_at)}</time>
              {active.last_used_at ? <>; last read <time dateTime={active.last_used_at}>{fullTime(active.last_used_at)}</time></> : "; not read yet"}.
              Make a new one if you lost it (the old address stops working).</p>
          ) : (
            <p className="text-sm">You have no feed address yet.</p>
          )}
          <div className="flex flex-wrap gap-2">
            <Button busy={create.isPending} onClick={() => { setCopied(false); create.mutate(); }}>{active || url ? "Make a new address" : "Create feed address"}</Button>
            {(active || url) && (
              <Button variant="danger" busy={revoke.isPending} onClick={() => {
                if (window.confirm("Turn the feed off? Calendar apps using it stop updating.")) revoke.mutate(undefined, { onSuccess: () => create.reset() });
              }}>Turn off feed</Button>
            )}
          </div>
        </div>
      </Card>
    </div>
  );
}
