import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
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

function InlineImage({ slug, attachment }: { slug: string; attachment: Attachment }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    attachmentUrl(slug, attachment.id).then(({ url }) => { if (!cancelled) setSrc(url); }).catch(() => undefined);
    return () => { cancelled = true; };
  }, [slug, attachment.id]);
  return src ? <img src={src} alt={attachment.file_name} className="max-h-64 rounded border border-gray-200 dark:border-gray-800" />
    : <span className="inline-block h-32 w-48 animate-pulse rounded bg-gray-200 dark:bg-gray-800" aria-hidden="true" />;
}

/** A post's or message's attachments: images inline, anything else as a file card. */
export function AttachmentList({ slug, attachments }: { slug: string; attachments: Attachment[] }) {
  if (attachments.length === 0) return null;
  const open = async (attachment: Attachment) => {
    const { url } = await attachmentUrl(slug, attachment.id);
    window.location.assign(url);
  };
  return (
    <ul className="mt-2 flex flex-wrap gap-2" aria-label="Attachments">
      {attachments.map((a) => (
        <li key={a.id}>
          {a.is_image ? <InlineImage slug={slug} attachment={a} /> : (
            <button type="button" onClick={() => void open(a)} className="flex items-center gap-2 rounded border border-gray-300 px-3 py-2 text-left text-sm hover:bg-gray-50 dark:border-gray-700 dark:hover:bg-gray-800">
              <span className="font-medium">{a.file_name}</span>
              <span className="text-xs text-gray-600 dark:text-gray-400">{formatBytes(a.size)}</span>
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
