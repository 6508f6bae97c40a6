import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { Button } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { ErrorNotice, fieldError } from "@/components/ui/feedback";
import { TextAreaField, TextField } from "@/components/ui/field";

import { useCreateOrg } from "../api";

export function CreateOrgPage() {
  const create = useCreateOrg();
  const navigate = useNavigate();
  const [form, setForm] = useState({ name: "", slug: "", description: "" });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { name: form.name, ...(form.slug ? { slug: form.slug } : {}), ...(form.description ? { description: form.description } : {}) };
    create.mutate(body, { onSuccess: ({ organization }) => navigate(`/${encodeURIComponent(organization.slug)}`) });
  };
  const named = ["name", "slug", "description"];
  return (
    <main id="main" className="mx-auto max-w-xl px-4 py-10">
      <PageHeader title="Create a community" subtitle="You will be its owner. You can invite people right after." />
      <Card>
        <form onSubmit={submit} className="space-y-4 p-6" noValidate>
          <ErrorNotice error={create.error && !named.some((n) => fieldError(create.error, n)) ? create.error : null} />
          <TextField label="Name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })}
            error={fieldError(create.error, "name")} />
          <TextField label="Address" value={form.slug} onChange={(e) => setForm({ ...form, slug: e.target.value })}
            hint="Lowercase letters, digits and hyphens; leave empty to make one from the name." error={fieldError(create.error, "slug")} />
          <TextAreaField label="Description" rows={3} value={form.description}
            onChange={(e) => setForm({ ...form, description: e.target.value })} error={fieldError(create.error, "description")} />
          <Button type="submit" busy={create.isPending}>Create community</Button>
        </form>
      </Card>
    </main>
  );
}
