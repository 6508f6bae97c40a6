import { useEffect, useRef, useState } from "react";

import { Button, buttonClass } from "@/components/ui/button";
import { ErrorNotice } from "@/components/ui/feedback";

import { attachmentUrl, formatBytes, uploadFile, type Attachment } from "../api";

interface Pending {
  key: string;
  name: string;
  progress: number;
  upload?: Attachment;
  error?: unknown;
}

/** The composer's "Attach files": each file uploads at once with its progress; `onChange` gets the ready ids. */
export function AttachmentPicker({ slug, onChange, resetKey }: { slug: string; onChange: (uploadIds: string[]) => void; resetKey?: unknown }) {
  const [items, setItems] = useState<Pending[]>([]);
  useEffect(() => { setItems([]); }, [resetKey]);
  useEffect(() => {
    onChange(items.flatMap((i) => (i.upload ? [i.upload.id] : [])));
  }, [items, onChange]);
  const update = (key: string, change: Partial<Pending>) => setItems((all) => all.map((i) => (i.key === key ? { ...i, ...change } : i)));
  const add = (files: FileList | null) => {
    for (const file of Array.from(files ?? []).slice(0, 10 - items.length)) {
      const key = `${file.name}-${file.size}-${Math.random()}`;
      setItems((all) => [...all, { key, name: file.name, progress: 0 }]);
      uploadFile(slug, file, "attachment", (progress) => update(key, { progress }))
        .then((upload) => update(key, { upload: { id: upload.id, file_name: upload.file_name, content_type: upload.content_type, size: upload.size, is_image: upload.content_type.startsWith("image/") } }))
        .catch((error: unknown) => update(key, { error }));
    }
  };
  return (
    <div className="space-y-2">
      <label className="inline-flex cursor-pointer items-center gap-1 text-sm font-medium text-blue-700 hover:underline dark:text-blue-300">
        Attach files
        <input type="file" multiple className="sr-only" aria-label="Attach files" onChange={(e) => { add(e.target.files); e.target.value = ""; }} />
      </label>
      {items.length > 0 && (
        <ul className="space-y-1" aria-label="Attachments">
          {items.map((item) => (
            <li key={item.key} className="flex items-center gap-2 text-sm">
              <span className="truncate">{item.name}</span>
              {item.error ? <ErrorNotice error={item.error} className="py-0.5" />
                : item.upload ? <span className="text-xs text-gray-600 dark:text-gray-400">{formatBytes(item.upload.size)}</span>
                  : <progress aria-label={`Uploading ${item.name}`} max={1} value={item.progress} className="h-1.5 w-24" />}
              <Button variant="ghost" size="sm" onClick={() => setItems((all) => all.filter((i) => i.key !== item.key))} aria-label={`Remove ${item.name}`}>Remove</Button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function useAttachmentUrl(slug: string, id: string, thumbnail: boolean): { src: string | null; failed: boolean } {
  const [state, setState] = useState<{ src: string | null; failed: boolean }>({ src: null, failed: false });
  useEffect(() => {
    let cancelled = false;
    attachmentUrl(slug, id, thumbnail)
      .then(({ url }) => { if (!cancelled) setState({ src: url, failed: false }); })
      .catch(() => { if (!cancelled) setState({ src: null, failed: true }); });
    return () => { cancelled = true; };
  }, [slug, id, thumbnail]);
  return state;
}

/** The whole image over the page; Escape or Close puts focus back on the thumbnail. */
function ImageViewer({ slug, attachment, onClose }: { slug: string; attachment: Attachment; onClose: () => void }) {
  const { src, failed } = useAttachmentUrl(slug, attachment.id, false);
  const close = useRef<HTMLButtonElement>(null);
  const closing = useRef(onClose);
  useEffect(() => { closing.current = onClose; }, [onClose]);
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    close.current?.focus();
    const onKey = (event: KeyboardEvent) => { if (event.key === "Escape") closing.current(); };
    document.addEventListener("keydown", onKey);
    return () => { document.removeEventListener("keydown", onKey); before?.focus(); };
  }, []);
  return (
    <div role="dialog" aria-modal="true" aria-label={attachment.file_name} className="fixed inset-0 z-50 flex items-center justify-center bg-black/70 p-4">
      <div className="flex max-h-full w-full max-w-5xl flex-col rounded-lg bg-white shadow-xl dark:bg-gray-900">
        <div className="flex items-center justify-between gap-2 border-b border-gray-200 px-4 py-3 dark:border-gray-800">
          <h2 className="truncate font-medium">{attachment.file_name} <span className="text-sm text-gray-600 dark:text-gray-400">· {formatBytes(attachment.size)}</span></h2>
          <button ref={close} type="button" className={buttonClass("secondary", "sm")} onClick={onClose}>Close</button>
        </div>
        <div className="flex min-h-48 flex-1 items-center justify-center overflow-auto p-4">
          {failed ? <p className="text-sm text-red-700 dark:text-red-300">The image could not be loaded.</p>
            : src ? <img src={src} alt={attachment.file_name} className="max-h-[80vh] object-contain" />
              : <span className="h-48 w-64 animate-pulse rounded bg-gray-200 dark:bg-gray-800" aria-hidden="true" />}
        </div>
      </div>
    </div>
  );
}

function InlineImage({ slug, attachment }: { slug: string; attachment: Attachment }) {
  const { src, failed } = useAttachmentUrl(slug, attachment.id, true);
  const [open, setOpen] = useState(false);
  if (failed) return <FileCard slug={slug} attachment={attachment} />;
  return (
    <>
      <button type="button" onClick={() => setOpen(true)} aria-label={`Open ${attachment.file_name}`} className="block rounded focus-visible:outline-2 focus-visible:outline-blue-600">
        {src ? <img src={src} alt={attachment.file_name} className="max-h-64 max-w-full rounded border border-gray-200 dark:border-gray-800" />
          : <span className="block h-32 w-48 animate-pulse rounded bg-gray-200 dark:bg-gray-800" aria-hidden="true" />}
      </button>
      {open && <ImageViewer slug={slug} attachment={attachment} onClose={() => setOpen(false)} />}
    </>
  );
}

function FileCard({ slug, attachment }: { slug: string; attachment: Attachment }) {
  const [error, setError] = useState<unknown>(null);
  const open = async () => {
    setError(null);
    try {
      const { url } = await attachmentUrl(slug, attachment.id);
      window.location.assign(url);  // non-images answer as downloads (Content-Disposition: attachment)
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div>
      <button type="button" onClick={() => void open()} className="flex max-w-full items-center gap-2 rounded border border-gray-300 px-3 py-2 text-left text-sm hover:bg-gray-50 dark:border-gray-700 dark:hover:bg-gray-800">
        <span aria-hidden="true" className="rounded bg-gray-100 px-1.5 py-0.5 text-xs font-semibold text-gray-700 dark:bg-gray-800 dark:text-gray-300">{extension(attachment.file_name)}</span>
        <span className="truncate font-medium">{attachment.file_name}</span>
        <span className="shrink-0 text-xs text-gray-600 dark:text-gray-400">{formatBytes(attachment.size)}</span>
      </button>
      <ErrorNotice error={error} className="py-0.5" />
    </div>
  );
}

function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1, dot + 5).toUpperCase() : "FILE";
}

/** A post's or message's attachments: images inline, anything else as a file card. */
export function AttachmentList({ slug, attachments }: { slug: string; attachments: Attachment[] }) {
  if (attachments.length === 0) return null;
  return (
    <ul className="mt-2 flex flex-wrap gap-2" aria-label="Attachments">
      {attachments.map((a) => (
        <li key={a.id} className="max-w-full">
          {a.is_image ? <InlineImage slug={slug} attachment={a} /> : <FileCard slug={slug} attachment={a} />}
        </li>
      ))}
    </ul>
  );
}
