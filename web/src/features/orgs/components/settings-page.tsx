import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, fieldError, Notice } from "@/components/ui/feedback";
import { CheckboxField, TextAreaField, TextField } from "@/components/ui/field";
import { BrandingSettings, DomainSettings } from "@/features/branding";
import { useOrg } from "@/lib/org";

import { useDeleteOrg, useUpdateOrg } from "../api";

export function SettingsPage() {
  const { slug, org, role } = useOrg();
  const update = useUpdateOrg(slug);
  const remove = useDeleteOrg(slug);
  const navigate = useNavigate();
  const [form, setForm] = useState({ name: org.name, description: org.description ?? "", is_public: org.is_public });
  const [confirm, setConfirm] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({ name: form.name, description: form.description, is_public: form.is_public });
  };
  const named = ["name", "description", "is_public"];
  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <PageHeader title="Settings" subtitle={`Plan: ${org.subscription_tier} · ${org.current_member_count}${org.member_limit ? ` of ${org.member_limit}` : ""} seats used`} />
      <Card title="Profile and visibility">
        <form onSubmit={submit} className="space-y-4 p-4 sm:p-6" noValidate>
          {update.isSuccess && <Notice>Saved.</Notice>}
          <ErrorNotice error={update.error && !named.some((n) => fieldError(update.error, n)) ? update.error : null} />
          <TextField label="Name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} error={fieldError(update.error, "name")} />
          <TextAreaField label="Description" rows={3} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} error={fieldError(update.error, "description")} />
          <CheckboxField label="Public: anyone can find this community and read its public forums" checked={form.is_public} onChange={(e) => setForm({ ...form, is_public: e.target.checked })} />
          <Button type="submit" busy={update.isPending}>Save changes</Button>
        </form>
      </Card>
      <BrandingSettings />
      <DomainSettings />
      {role === "owner" && (
        <Card title="Delete this community">
          <form className="space-y-4 p-4 sm:p-6" onSubmit={(e) => { e.preventDefault(); remove.mutate(undefined, { onSuccess: () => navigate("/", { replace: true }) }); }}>
            <p className="text-sm">Everything in it — forums, messages, members — is deleted for good.</p>
            <TextField label={`Type ${org.slug} to confirm`} value={confirm} onChange={(e) => setConfirm(e.target.value)} />
            <ErrorNotice error={remove.error} />
            <Button type="submit" variant="danger" disabled={confirm !== org.slug} busy={remove.isPending}>Delete community</Button>
          </form>
        </Card>
      )}
    </div>
  );
}
