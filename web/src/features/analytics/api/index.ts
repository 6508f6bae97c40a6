import { keepPreviousData, useQuery } from "@tanstack/react-query";

import type { components } from "@/api/schema";
import { download, api, withQuery } from "@/lib/api";

export type Analytics = components["schemas"]["AnalyticsAnswer"];
export type Period = components["schemas"]["Period"];
export type Totals = components["schemas"]["Totals"];
export type Granularity = Analytics["granularity"];

/** `to` is the last day shown (inclusive); the API's `to` is exclusive, so queries send the day after. */
export interface Range {
  from: string;
  to: string;
  granularity: Granularity;
}

function query(range: Range) {
  const [year, month, day] = range.to.split("-").map(Number);
  const after = new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, (day ?? 1) + 1)).toISOString().slice(0, 10);
  return { from: range.from, to: after, granularity: range.granularity };
}

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

export function useAnalytics(slug: string, range: Range) {
  return useQuery({
    queryKey: ["analytics", slug, range],
    queryFn: () => api.get<Analytics>(withQuery(`${base(slug)}/analytics`, query(range))),
    placeholderData: keepPreviousData,
    retry: false,
  });
}

/** The same series as CSV, saved under the server's file name (the call carries the session, so no plain link). */
export function downloadCsv(slug: string, range: Range): Promise<void> {
  return download(withQuery(`${base(slug)}/analytics.csv`, query(range)), `analytics-${range.from}-${range.to}.csv`);
}

/** `YYYY-MM-DD` of a day `days` before today (UTC, as the server counts days). */
export function daysAgo(days: number, from: Date = new Date()): string {
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() - days));
  return day.toISOString().slice(0, 10);
}
