import { Link } from "react-router";

import { ApiError } from "@/lib/api";
import { orgPath, useOrg } from "@/lib/org";

/** A 402 `plan_required` answer as an upgrade prompt (with the plans one click away), not a dead end. */
export function PlanPrompt({ error }: { error: unknown }) {
  const { slug } = useOrg();
  if (!(error instanceof ApiError) || error.code !== "plan_required") return null;
  return (
    <div role="alert" className="rounded-md border border-blue-300 bg-blue-50 px-3 py-2 text-sm text-blue-900 dark:border-blue-800 dark:bg-blue-950 dark:text-blue-100">
      {error.message} <Link className="font-medium underline" to={orgPath(slug, "billing")}>See the plans</Link>
    </div>
  );
}

export function isPlanRequired(error: unknown): boolean {
  return error instanceof ApiError && error.code === "plan_required";
}
