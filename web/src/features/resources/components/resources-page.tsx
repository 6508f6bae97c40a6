import { useState } from "react";
import { useSearchParams } from "react-router";

import { Button } from "@/components/ui/button";
import { Badge, Card, PageHeader } from "@/components/ui/card";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { CheckboxField, SelectField, TextField } from "@/components/ui/field";
import { useOrg } from "@/lib/org";
import { timeAgo } from "@/lib/time";
import { atLeast } from "@/lib/types";

import { downloadUrl, formatBytes, useDeleteResource, useFeatured, useResources, type Filters, type Resource, type Sort } from "../api";
import { EditForm } from "./edit-form";
import { Preview, canPreview } from "./preview";
import { UploadForm } from "./upload-form";

const SORTS: { value: Sort; label: string }[] = [
  { value: "recent", label: "Newest" }, { value: "popular", label: "Most downloaded" }, { value: "title", label: "Title" },
];

async function download(slug: string, resource: Resource): Promise<void> {
  const { url } = await downloadUrl(slug, resource.id);
  const link = document.createElement("a");
  link.href = url;
  link.download = resource.file_name;
  link.rel = "noopener";
  document.body.appendChild(link);
  link.click();
  link.remove();
}

function FileBadge({ resource }: { resource: Resource }) {
  const extension = resource.file_name.split(".").pop()?.toUpperCase() ?? "FILE";
  return <span aria-hidden="true" className="flex h-12 w-12 shrink-0 items-center sm:h-16 sm:w-16 justify-center rounded bg-gray-100 text-xs font-semibold text-gray-700 dark:bg-gray-800 dark:text-gray-300">{extension.slice(0, 4)}</span>;
}

function ResourceItem({ resource, onPreview }: { resource: Resource; onPreview: (r: Resource) => void }) {
  const { slug, role, userId } = useOrg();
  const remove = useDeleteResource(slug);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const mayEdit = atLeast(role, "moderator") || (userId !== null && resource.uploaded_by?.id === userId);
  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try { await work(); } catch (failure) { setError(failure); }
  };
  if (editing) {
    return (
      <article aria-label={resource.title} className="px-4 py-4 sm:px-6">
        <EditForm slug={slug} role={role} resource={resource} onDone={() => setEditing(false)} />
      </article>
    );
  }
  return (
    <article aria-label={resource.title} className="flex flex-wrap gap-3 px-4 py-4 sm:flex-nowrap sm:gap-4 sm:px-6">
      {resource.thumbnail_url ? <img src={resource.thumbnail_url} alt="" className="h-12 w-12 shrink-0 rounded object-cover sm:h-16 sm:w-16" /> : <FileBadge resource={resource} />}
      <div className="min-w-0 flex-1 space-y-1">
        <div className="flex flex-wrap items-center gap-2">
          <h3 className="font-medium break-words">{resource.title}</h3>
          {resource.is_featured && <Badge tone="amber">Featured</Badge>}
          {resource.category && <Badge tone="blue">{resource.category}</Badge>}
          {resource.required_role !== "member" && <Badge tone="purple">{resource.required_role === "guest" ? "Everyone" : `${resource.required_role}s`}</Badge>}
        </div>
        {resource.description && <p className="text-sm text-gray-700 dark:text-gray-300">{resource.description}</p>}
        <p className="text-xs text-gray-600 dark:text-gray-400">
          {resource.file_name} · {formatBytes(resource.file_size)} · {resource.download_count} {resource.download_count === 1 ? "download" : "downloads"}
          {resource.uploaded_by && <> · {resource.uploaded_by.display_name}</>} · {timeAgo(resource.created_at)}
        </p>
        {resource.tags.length > 0 && <p className="flex flex-wrap gap-1">{resource.tags.map((t) => <Badge key={t}>#{t}</Badge>)}</p>}
        <ErrorNotice error={error} />
      </div>
      <div className="flex w-full flex-wrap gap-2 pl-15 sm:w-auto sm:shrink-0 sm:flex-nowrap sm:items-start sm:pl-0">
        {canPreview(resource) && <Button variant="secondary" size="sm" onClick={() => onPreview(resource)}>Preview</Button>}
        <Button size="sm" onClick={() => void act(() => download(slug, resource))}>Download</Button>
        {mayEdit && <Button variant="secondary" size="sm" onClick={() => setEditing(true)}>Edit</Button>}
        {mayEdit && (
          <Button variant="danger" size="sm" busy={remove.isPending}
            onClick={() => { if (window.confirm(`Delete “${resource.title}”? Its file is deleted too.`)) void act(() => remove.mutateAsync(resource.id)); }}>
            Delete
          </Button>
        )}
      </div>
    </article>
  );
}

function Featured({ onPreview }: { onPreview: (r: Resource) => void }) {
  const { slug } = useOrg();
  const featured = useFeatured(slug);
  const items = featured.data?.resources ?? [];
  if (items.length === 0) return null;
  return (
    <Card title="Featured">
      <div className="divide-y divide-gray-200 dark:divide-gray-800">
        {items.map((r) => <ResourceItem key={r.id} resource={r} onPreview={onPreview} />)}
      </div>
    </Card>
  );
}

export function ResourcesPage() {
  const { slug, role } = useOrg();
  const [filters, setFilters] = useState<Filters>({ sort: "recent" });
  const [params] = useSearchParams();
  const [uploading, setUploading] = useState(params.get("upload") === "1");
  const [previewing, setPreviewing] = useState<Resource | null>(null);
  const list = useResources(slug, filters);
  const items = list.data?.pages.flatMap((p) => p.resources) ?? [];
  const filtered = Boolean(filters.category || filters.tag || filters.featured);
  const canUpload = atLeast(role, "moderator");
  const set = (next: Partial<Filters>) => setFilters((current) => ({ ...current, ...next }));
  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader title="Resources" subtitle="Documents and files shared in this community"
        actions={canUpload && !uploading ? <Button onClick={() => setUploading(true)}>Upload Resource</Button> : undefined} />
      {uploading && <Card title="Upload a resource"><UploadForm slug={slug} role={role} onDone={() => setUploading(false)} /></Card>}
      {!filtered && <Featured onPreview={setPreviewing} />}
      <Card title="Library">
        <div className="grid grid-cols-2 gap-3 border-b border-gray-200 p-4 sm:grid-cols-4 sm:px-6 dark:border-gray-800">
          <TextField label="Category" value={filters.category ?? ""} onChange={(e) => set({ category: e.target.value.trim() || undefined })} />
          <TextField label="Tag" value={filters.tag ?? ""} onChange={(e) => set({ tag: e.target.value.trim().toLowerCase() || undefined })} />
          <SelectField label="Sort by" value={filters.sort} onChange={(e) => set({ sort: e.target.value as Sort })}>
            {SORTS.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </SelectField>
          <div className="flex items-end pb-2">
            <CheckboxField label="Featured only" checked={Boolean(filters.featured)} onChange={(e) => set({ featured: e.target.checked || undefined })} />
          </div>
        </div>
        {list.isPending ? <ListSkeleton label="Loading resources" /> : list.isError ? <div className="p-4"><ErrorNotice error={list.error} /></div>
          : items.length === 0 ? <EmptyState title={filtered ? "Nothing matches these filters" : "No resources yet"}>{canUpload && !filtered ? "Upload the first one." : null}</EmptyState>
            : <div className="divide-y divide-gray-200 dark:divide-gray-800">{items.map((r) => <ResourceItem key={r.id} resource={r} onPreview={setPreviewing} />)}</div>}
        {list.hasNextPage && (
          <div className="border-t border-gray-200 p-3 text-center dark:border-gray-800">
            <Button variant="secondary" onClick={() => void list.fetchNextPage()} busy={list.isFetchingNextPage}>More resources</Button>
          </div>
        )}
      </Card>
      {previewing && <Preview slug={slug} resource={previewing} onClose={() => setPreviewing(null)} />}
    </div>
  );
}
