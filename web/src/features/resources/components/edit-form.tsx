import { useState, type FormEvent } from "react";

import { Button } from "@/components/ui/button";
import { ErrorNotice, fieldError } from "@/components/ui/feedback";
import { CheckboxField, SelectField, TextAreaField, TextField } from "@/components/ui/field";
import { ROLES, atLeast, type Role } from "@/lib/types";

import { useUpdateResource, type Resource } from "../api";
import { ROLE_LABELS } from "./upload-form";

/** Change what the library says about a file (the file itself stays). */
export function EditForm({ slug, role, resource, onDone }: { slug: string; role: Role | null; resource: Resource; onDone: () => void }) {
  const update = useUpdateResource(slug);
  const [title, setTitle] = useState(resource.title);
  const [description, setDescription] = useState(resource.description ?? "");
  const [category, setCategory] = useState(resource.category ?? "");
  const [tags, setTags] = useState(resource.tags.join(", "));
  const [requiredRole, setRequiredRole] = useState<Role>(resource.required_role);
  const [featured, setFeatured] = useState(resource.is_featured);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await update.mutateAsync({
        id: resource.id, title: title.trim(), description: description.trim() || null, category: category.trim() || null,
        tags: tags.split(",").map((t) => t.trim()).filter(Boolean), required_role: requiredRole,
        ...(atLeast(role, "moderator") ? { is_featured: featured } : {}),
      });
      onDone();
    } catch {
      // shown below from update.error
    }
  };
  const error = update.error;
  const allowedRoles = ROLES.filter((r) => atLeast(role, r)).reverse();
  return (
    <form onSubmit={(e) => void submit(e)} className="space-y-4" aria-label={`Edit ${resource.title}`}>
      <TextField label="Title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={255} required error={fieldError(error, "title")} />
      <TextAreaField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} rows={3} error={fieldError(error, "description")} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Category" value={category} onChange={(e) => setCategory(e.target.value)} maxLength={100} error={fieldError(error, "category")} />
        <TextField label="Tags" hint="Separated by commas" value={tags} onChange={(e) => setTags(e.target.value)} error={fieldError(error, "tags")} />
      </div>
      <SelectField label="Who can see it" value={requiredRole} onChange={(e) => setRequiredRole(e.target.value as Role)} error={fieldError(error, "required_role")}>
        {allowedRoles.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}
      </SelectField>
      {atLeast(role, "moderator") && <CheckboxField label="Feature it" checked={featured} onChange={(e) => setFeatured(e.target.checked)} />}
      <ErrorNotice error={error} />
      <div className="flex gap-2">
        <Button type="submit" busy={update.isPending}>Save</Button>
        <Button variant="secondary" onClick={onDone} disabled={update.isPending}>Cancel</Button>
      </div>
    </form>
  );
}
