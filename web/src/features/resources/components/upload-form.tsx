import { useRef, useState, type DragEvent, type FormEvent } from "react";

import { Button } from "@/components/ui/button";
import { ErrorNotice, fieldError } from "@/components/ui/feedback";
import { CheckboxField, SelectField, TextAreaField, TextField } from "@/components/ui/field";
import { ROLES, atLeast, type Role } from "@/lib/types";

import { formatBytes, uploadFile, useRegisterResource } from "../api";

export const ROLE_LABELS: Record<Role, string> = {
  guest: "Everyone, guests included", member: "Members", moderator: "Moderators and above", admin: "Admins and owners", owner: "Owners only",
};

/** Choose (or drop) a file, describe it, watch it upload, and it is in the library. */
export function UploadForm({ slug, role, onDone }: { slug: string; role: Role | null; onDone: () => void }) {
  const register = useRegisterResource(slug);
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [category, setCategory] = useState("");
  const [tags, setTags] = useState("");
  const [requiredRole, setRequiredRole] = useState<Role>("member");
  const [featured, setFeatured] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const sending = useRef<AbortController | null>(null);

  const choose = (chosen: File | undefined) => {
    if (!chosen) return;
    setFile(chosen);
    setError(null);
    if (!title) setTitle(chosen.name.replace(/\.[^.]+$/, ""));
  };
  const drop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer.files[0]);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) { setError(new Error("Choose a file to upload.")); return; }
    setError(null);
    setProgress(0);
    const controller = new AbortController();
    sending.current = controller;
    try {
      const upload = await uploadFile(slug, file, "resource", setProgress, controller.signal);
      await register.mutateAsync({
        upload_id: upload.id, title: title.trim() || file.name, description: description.trim() || undefined,
        category: category.trim() || undefined, tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
        required_role: requiredRole, is_featured: featured || undefined,
      });
      onDone();
    } catch (failure) {
      if (!controller.signal.aborted) setError(failure);
    } finally {
      sending.current = null;
      setProgress(null);
    }
  };
  const busy = progress !== null;
  const allowedRoles = ROLES.filter((r) => atLeast(role, r)).reverse();
  return (
    <form onSubmit={(e) => void submit(e)} className="space-y-4 p-4 sm:p-6" aria-label="Upload a resource">
      <div
        onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
        data-testid="drop-zone"
        className={`rounded-lg border-2 border-dashed p-6 text-center ${dragging ? "border-blue-600 bg-blue-50 dark:bg-blue-950" : "border-gray-300 dark:border-gray-700"}`}
      >
        <p className="text-sm text-gray-700 dark:text-gray-300">{file ? `${file.name} · ${formatBytes(file.size)}` : "Drop a file here, or"}</p>
        <label className="mt-2 inline-block cursor-pointer text-sm font-medium text-blue-700 underline dark:text-blue-300">
          {file ? "Choose another file" : "Choose a file"}
          <input ref={input} type="file" aria-label="File" className="sr-only" onChange={(e) => choose(e.target.files?.[0])} />
        </label>
        <p className="mt-1 text-xs text-gray-600 dark:text-gray-400">PDF, images, text, Markdown, CSV, Office documents, ZIP</p>
      </div>
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
      {progress !== null && (
        <div className="space-y-1">
          <progress aria-label="Upload progress" max={1} value={progress} className="h-2 w-full" />
          <p className="text-xs text-gray-600 dark:text-gray-400" aria-live="polite">{Math.round(progress * 100)}%</p>
        </div>
      )}
      <ErrorNotice error={error} />
      <div className="flex gap-2">
        <Button type="submit" busy={busy}>Upload</Button>
        {busy ? <Button variant="secondary" onClick={() => sending.current?.abort()}>Stop upload</Button>
          : <Button variant="secondary" onClick={onDone}>Cancel</Button>}
      </div>
    </form>
  );
}
