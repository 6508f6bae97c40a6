import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { ApiError, api, withQuery, type Problem } from "@/lib/api";
import { onFrame } from "@/lib/live";
import type { Page, Role, UserRef } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export type Sort = "recent" | "popular" | "title";
export type Purpose = "resource" | "attachment" | "logo";

export interface Resource {
  id: string;
  title: string;
  description: string | null;
  file_name: string;
  file_size: number;
  file_type: string;
  category: string | null;
  tags: string[];
  is_featured: boolean;
  download_count: number;
  required_role: Role;
  uploaded_by: UserRef | null;
  is_image: boolean;
  thumbnail_url: string | null;
  text_status: string;
  created_at: string;
  updated_at: string;
}

export interface Upload {
  id: string;
  method: "POST" | "PUT";
  url: string;
  fields: Record<string, string>;
  headers: Record<string, string>;
  expires_at: string;
  file_name: string;
  content_type: string;
  size: number;
}

export interface Attachment {
  id: string;
  file_name: string;
  content_type: string;
  size: number;
  is_image: boolean;
}

export interface Filters {
  category?: string | undefined;
  tag?: string | undefined;
  featured?: boolean | undefined;
  sort: Sort;
}

export const resourceKeys = {
  all: (slug: string) => ["resources", slug] as const,
  list: (slug: string, filters: Filters) => ["resources", slug, "list", filters] as const,
  featured: (slug: string) => ["resources", slug, "featured"] as const,
};

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

// A resource shared elsewhere (the server sends it only to those who may read it): lists refetch.
onFrame(["resource_created"], (_, client) => {
  void invalidateAfterWrite(client, ["resources"]);
});

export function useResources(slug: string, filters: Filters) {
  return useInfiniteQuery({
    queryKey: resourceKeys.list(slug, filters),
    queryFn: ({ pageParam }) => api.get<{ resources: Resource[] } & Page>(withQuery(`${base(slug)}/resources`, {
      category: filters.category, tag: filters.tag, featured: filters.featured, sort: filters.sort, cursor: pageParam, limit: 24,
    })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useFeatured(slug: string) {
  return useQuery({
    queryKey: resourceKeys.featured(slug),
    queryFn: () => api.get<{ resources: Resource[] }>(withQuery(`${base(slug)}/resources`, { featured: true, limit: 6 })),
  });
}

/** A signed URL (valid five minutes) for a resource's file; counts a download. */
export function downloadUrl(slug: string, id: string): Promise<{ url: string; expires_at: string }> {
  return api.get(withQuery(`${base(slug)}/resources/${id}/download`, { redirect: false }));
}

export function attachmentUrl(slug: string, id: string, thumbnail = false): Promise<{ url: string }> {
  return api.get(withQuery(`${base(slug)}/attachments/${id}`, { redirect: false, thumbnail: thumbnail || undefined }));
}

/** Sends the bytes where the server said (S3 form POST or the server's own signed PUT), reporting progress. */
export function sendFile(upload: Upload, file: Blob, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    let body: Blob | FormData = file;
    if (upload.method === "POST") {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append("file", file);
      body = form;
    } else {
      for (const [name, value] of Object.entries(upload.headers)) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(event.loaded / event.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) { onProgress(1); resolve(); return; }
      let problem: Partial<Problem> = {};
      try { problem = JSON.parse(xhr.responseText) as Partial<Problem>; } catch { /* S3 answers XML */ }
      reject(new ApiError({ ...problem, status: xhr.status, detail: problem.detail ?? `The upload failed (${xhr.status}).` }));
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, code: "network", detail: "The upload was interrupted. Check your connection." }));
    xhr.onabort = () => reject(new ApiError({ status: 0, code: "aborted", detail: "Upload cancelled." }));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(body);
  });
}

/** Declare, then send: the upload ready to register (a resource) or attach (a post, a message). */
export async function uploadFile(slug: string, file: File, purpose: Purpose, onProgress: (fraction: number) => void,
                                 signal?: AbortSignal): Promise<Upload> {
  const { upload } = await api.post<{ upload: Upload }>(`${base(slug)}/uploads`, {
    filename: file.name, content_type: file.type || guessType(file.name), size: file.size, purpose,
  });
  await sendFile(upload, file, onProgress, signal);
  return upload;
}

const EXTENSIONS: Record<string, string> = { md: "text/markdown", markdown: "text/markdown", txt: "text/plain", csv: "text/csv" };

function guessType(name: string): string {
  const extension = name.split(".").pop()?.toLowerCase() ?? "";
  return EXTENSIONS[extension] ?? "application/octet-stream";
}

export interface NewResource {
  upload_id: string;
  title: string;
  description?: string | undefined;
  category?: string | undefined;
  tags?: string[] | undefined;
  required_role?: Role | undefined;
  is_featured?: boolean | undefined;
}

export function useRegisterResource(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewResource) => api.post<{ resource: Resource }>(`${base(slug)}/resources`, body),
    onSuccess: () => invalidateAfterWrite(client, resourceKeys.all(slug)),
  });
}

/** A PATCH: `null` clears a description or category. */
export type ResourceChanges = Partial<Omit<NewResource, "upload_id" | "description" | "category">> & {
  description?: string | null;
  category?: string | null;
};

export function useUpdateResource(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...changes }: { id: string } & ResourceChanges) =>
      api.patch<{ resource: Resource }>(`${base(slug)}/resources/${id}`, changes),
    onSuccess: () => invalidateAfterWrite(client, resourceKeys.all(slug)),
  });
}

export function useDeleteResource(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.del(`${base(slug)}/resources/${id}`),
    onSuccess: () => invalidateAfterWrite(client, resourceKeys.all(slug)),
  });
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
