import { useEffect, useRef, useState } from "react";

import { buttonClass } from "@/components/ui/button";
import { ErrorNotice, ListSkeleton } from "@/components/ui/feedback";

import { downloadUrl, type Resource } from "../api";

/** Images and PDFs shown in place: the file is fetched from its signed URL and shown from memory. */
export function Preview({ slug, resource, onClose }: { slug: string; resource: Resource; onClose: () => void }) {
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const close = useRef<HTMLButtonElement>(null);
  const closing = useRef(onClose);
  useEffect(() => { closing.current = onClose; }, [onClose]);
  useEffect(() => {
    // A dialog: focus moves into it, Escape closes it, and focus goes back where it was.
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    close.current?.focus();
    const onKey = (event: KeyboardEvent) => { if (event.key === "Escape") closing.current(); };
    document.addEventListener("keydown", onKey);
    return () => { document.removeEventListener("keydown", onKey); before?.focus(); };
  }, []);
  useEffect(() => {
    let objectUrl: string | null = null;
    let cancelled = false;
    (async () => {
      try {
        const { url } = await downloadUrl(slug, resource.id);
        const response = await fetch(url);
        if (!response.ok) throw new Error(`The file could not be loaded (${response.status}).`);
        const blob = new Blob([await response.arrayBuffer()], { type: resource.file_type });
        objectUrl = URL.createObjectURL(blob);
        if (!cancelled) setSrc(objectUrl);
      } catch (failure) {
        if (!cancelled) setError(failure);
      }
    })();
    return () => { cancelled = true; if (objectUrl) URL.revokeObjectURL(objectUrl); };
  }, [slug, resource.id, resource.file_type]);
  return (
    <div role="dialog" aria-modal="true" aria-label={`Preview of ${resource.title}`} className="fixed inset-0 z-50 flex items-center justify-center bg-black/60 p-4">
      <div className="flex max-h-full w-full max-w-4xl flex-col rounded-lg bg-white shadow-xl dark:bg-gray-900">
        <div className="flex items-center justify-between gap-2 border-b border-gray-200 px-4 py-3 dark:border-gray-800">
          <h2 className="truncate text-lg font-medium">{resource.title}</h2>
          <button ref={close} type="button" className={buttonClass("secondary", "sm")} onClick={onClose}>Close</button>
        </div>
        <div className="min-h-64 flex-1 overflow-auto p-4">
          {error ? <ErrorNotice error={error} /> : !src ? <ListSkeleton rows={3} label="Loading preview" />
            : resource.is_image ? <img src={src} alt={resource.title} className="mx-auto max-h-[70vh] object-contain" />
              : <iframe src={src} title={`Preview of ${resource.file_name}`} className="h-[70vh] w-full rounded border border-gray-200 dark:border-gray-800" />}
        </div>
      </div>
    </div>
  );
}

export function canPreview(resource: Resource): boolean {
  return resource.is_image || resource.file_type === "application/pdf";
}
