import { useState, type FormEvent } from "react";

import { Button } from "@/components/ui/button";
import { Badge, Card } from "@/components/ui/card";
import { ErrorNotice, fieldError } from "@/components/ui/feedback";
import { TextField } from "@/components/ui/field";
import { ApiError } from "@/lib/api";
import { useOrg } from "@/lib/org";

import { useDomain, useRemoveDomain, useSetDomain, useVerifyDomain, type Domain } from "../api";

function CopyValue({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="space-y-1">
      <dt className="text-xs font-medium text-gray-600 dark:text-gray-400">{label}</dt>
      <dd className="flex items-center gap-2">
        <code className="min-w-0 flex-1 overflow-x-auto rounded bg-gray-100 px-2 py-1.5 text-sm whitespace-nowrap dark:bg-gray-800">{value}</code>
        <Button variant="secondary" size="sm" aria-label={`Copy ${label.toLowerCase()}`}
          onClick={() => void navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false))}>
          {copied ? "Copied" : "Copy"}
        </Button>
      </dd>
    </div>
  );
}

const RESULT_TONE = { verified: "green", missing: "amber", mismatch: "red", unreachable: "amber" } as const;

function CheckResult({ domain }: { domain: Domain }) {
  const check = domain.last_check;
  if (!check) return <p className="text-sm text-gray-700 dark:text-gray-300">Not checked yet. Publish the record, then verify.</p>;
  const when = new Date(check.checked_at).toLocaleString();
  return (
    <div role="status" className="space-y-1 text-sm">
      <p><Badge tone={RESULT_TONE[check.result]}>{check.result === "verified" ? "Verified" : check.result === "missing" ? "Record not found" : check.result === "mismatch" ? "Wrong value" : "DNS did not answer"}</Badge> <span className="text-gray-600 dark:text-gray-400">checked {when}</span></p>
      <p className="break-all text-gray-800 dark:text-gray-200">{check.detail}</p>
    </div>
  );
}

/** The org's own domain: ask for it, publish the TXT record shown, verify; remove it. */
export function DomainSettings() {
  const { slug } = useOrg();
  const current = useDomain(slug);
  const set = useSetDomain(slug);
  const verify = useVerifyDomain(slug);
  const remove = useRemoveDomain(slug);
  const [name, setName] = useState("");
  const domain = current.data?.domain ?? null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set.mutate(name.trim(), { onSuccess: () => setName("") });
  };
  const verifyError = verify.error instanceof ApiError && verify.error.status === 503 ? null : verify.error;
  return (
    <Card title="Custom domain">
      <div className="space-y-5 p-4 sm:p-6">
        <p className="text-sm text-gray-700 dark:text-gray-300">
          Serve this community at your own address (for example community.example.com). Point the name at this service, prove it is yours with a DNS TXT record, and members can use it to open the community.
        </p>
        <ErrorNotice error={current.error} />
        {domain && (
          <div className="space-y-4 rounded-md border border-gray-200 p-3 sm:p-4 dark:border-gray-700">
            <div className="flex flex-wrap items-center gap-2">
              <span className="font-medium break-all">{domain.name}</span>
              <Badge tone={domain.status === "verified" ? "green" : "amber"}>{domain.status === "verified" ? "Verified" : "Pending verification"}</Badge>
            </div>
            {domain.status === "pending" && (
              <>
                <p className="text-sm">Add this TXT record at your DNS provider:</p>
                <dl className="space-y-2">
                  <CopyValue label="Record name" value={domain.verification.name} />
                  <CopyValue label="Record value" value={domain.verification.value} />
                </dl>
              </>
            )}
            <CheckResult domain={domain} />
            <ErrorNotice error={verifyError ?? remove.error} />
            <div className="flex flex-wrap gap-2">
              {domain.status === "pending" && <Button busy={verify.isPending} onClick={() => verify.mutate()}>Verify</Button>}
              <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate(undefined)}>Remove domain</Button>
            </div>
          </div>
        )}
        <form onSubmit={submit} className="space-y-3" noValidate>
          <TextField label={domain ? "Use another domain" : "Domain"} value={name} onChange={(e) => setName(e.target.value)}
            placeholder="community.example.com" autoComplete="off" spellCheck={false} error={fieldError(set.error, "domain")} />
          <ErrorNotice error={set.error && !fieldError(set.error, "domain") ? set.error : null} />
          <Button type="submit" variant={domain ? "secondary" : "primary"} busy={set.isPending} disabled={!name.trim()}>
            {domain ? "Replace domain" : "Save domain"}
          </Button>
        </form>
      </div>
    </Card>
  );
}
