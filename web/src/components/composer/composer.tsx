import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { forwardRef, useEffect, useId, useImperativeHandle, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { Button } from "@/components/ui/button";
import { ErrorNotice, fieldError } from "@/components/ui/feedback";
import { inputClass } from "@/components/ui/field";

import type { MentionCandidate, MentionSource } from "@/lib/composer-api";

import { insertMention, mentionAt } from "./mentions";

export interface ComposerHandle {
  focus: () => void;
  insert: (text: string) => void;
}

interface ComposerProps {
  label: string;
  submitLabel: string;
  value: string;
  onChange: (value: string) => void;
  onSubmit: () => void;
  onTyping?: () => void;
  busy?: boolean;
  error?: unknown;
  rows?: number;
  /** Members to offer after "@"; without it there is no autocomplete. */
  mentions?: MentionSource;
  /** Renders the text with the server's own renderer; without it there is no preview tab. */
  preview?: (content: string) => Promise<string>;
  onCancel?: () => void;
  hint?: string;
  /** Enter sends (chat); Shift+Enter makes a new line. */
  enterSends?: boolean;
}

export const Composer = forwardRef<ComposerHandle, ComposerProps>(function Composer(props, ref) {
  const { label, submitLabel, value, onChange, onSubmit, onTyping, busy, error, rows = 4, mentions, preview, onCancel, hint, enterSends } = props;
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const [tab, setTab] = useState<"write" | "preview">("write");
  const [rendered, setRendered] = useState<{ html: string } | { error: unknown } | null>(null);

  useImperativeHandle(ref, () => ({
    focus: () => area.current?.focus(),
    insert: (text: string) => {
      onChange(value ? `${value.replace(/\s*$/, "")}\n\n${text}` : text);
      setTab("write");
      requestAnimationFrame(() => {
        area.current?.focus();
        const end = area.current?.value.length ?? 0;
        area.current?.setSelectionRange(end, end);
      });
    },
  }), [onChange, value]);

  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey || (enterSends && !event.shiftKey))) {
      event.preventDefault();
      if (value.trim()) onSubmit();
    }
  };

  const showPreview = () => {
    if (!preview) return;
    setTab("preview");
    setRendered(null);
    preview(value).then((html) => setRendered({ html }), (e: unknown) => setRendered({ error: e }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) onSubmit();
  };
  const contentError = fieldError(error, "content");
  return (
    <form onSubmit={submit} className="space-y-2">
      <div className="flex items-end justify-between">
        <label htmlFor={id} className="text-sm font-medium">{label}</label>
        {preview && (
          <div className="flex gap-1 text-sm" role="group" aria-label="Composer mode">
            <button type="button" aria-pressed={tab === "write"} onClick={() => setTab("write")} className={`rounded px-2 py-0.5 ${tab === "write" ? "bg-gray-200 dark:bg-gray-700" : ""}`}>Write</button>
            <button type="button" aria-pressed={tab === "preview"} onClick={showPreview} disabled={!value.trim()} className={`rounded px-2 py-0.5 disabled:opacity-50 ${tab === "preview" ? "bg-gray-200 dark:bg-gray-700" : ""}`}>Preview</button>
          </div>
        )}
      </div>
      <div className="relative">
        <MentionTextArea ref={area} id={id} rows={rows} value={value} onChange={onChange} onTyping={onTyping} mentions={mentions}
          hidden={tab === "preview"} onKeyDown={keyDown} invalid={Boolean(contentError)}
          describedBy={contentError ? `${id}-error` : hint ? `${id}-hint` : undefined} />
        {tab === "preview" && (
          <div className="min-h-24 rounded-md border border-gray-300 p-3 dark:border-gray-600" aria-live="polite">
            {rendered === null ? <p className="text-sm text-gray-600">Rendering…</p> : "error" in rendered
              ? <ErrorNotice error={rendered.error} />
              // The server renders and sanitises the Markdown (nh3): the only HTML the app ever injects.
              : <div className="prose-post" dangerouslySetInnerHTML={{ __html: rendered.html }} />}
          </div>
        )}
      </div>
      {contentError ? <p id={`${id}-error`} className="text-sm text-red-700 dark:text-red-400">{contentError}</p>
        : hint ? <p id={`${id}-hint`} className="text-xs text-gray-600 dark:text-gray-400">{hint}</p> : null}
      {error !== null && error !== undefined && !contentError ? <ErrorNotice error={error} /> : null}
      <div className="flex gap-2">
        <Button type="submit" busy={busy} disabled={!value.trim()}>{submitLabel}</Button>
        {onCancel && <Button variant="secondary" onClick={onCancel}>Cancel</Button>}
      </div>
    </form>
  );
});

interface MentionTextAreaProps {
  id: string;
  value: string;
  onChange: (value: string) => void;
  onTyping?: () => void;
  /** Members to offer after "@"; without it, a plain text area. */
  mentions?: MentionSource;
  rows?: number;
  hidden?: boolean;
  required?: boolean;
  invalid?: boolean;
  describedBy?: string;
  /** Keys the mention list did not take (Enter to send, ...). */
  onKeyDown?: (event: KeyboardEvent<HTMLTextAreaElement>) => void;
}

/** A text area offering the org's members after "@" (arrows, Enter or Tab, Escape): the composer's, and
 * any form's that takes Markdown (a new topic). Wrap it in a `relative` box: the list drops below it. */
export const MentionTextArea = forwardRef<HTMLTextAreaElement, MentionTextAreaProps>(function MentionTextArea(props, ref) {
  const { id, value, onChange, onTyping, mentions, rows = 4, hidden, required, invalid, describedBy, onKeyDown } = props;
  const area = useRef<HTMLTextAreaElement>(null);
  useImperativeHandle(ref, () => area.current as HTMLTextAreaElement);
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);

  // Ask the server once the typing pauses (150 ms), not on every key.
  const [asked, setAsked] = useState("");
  useEffect(() => {
    const query = mention?.query ?? "";
    const timer = setTimeout(() => setAsked(query), query ? 150 : 0);
    return () => clearTimeout(timer);
  }, [mention?.query]);
  const found = useQuery({
    queryKey: [...(mentions?.key ?? []), "suggest", asked],
    queryFn: () => (mentions ? mentions.search(asked) : Promise.resolve([])),
    enabled: Boolean(mentions && asked),
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
  const matches = mention && mention.query && found.data ? found.data : [];

  const change = (text: string, caret: number) => {
    onChange(text);
    onTyping?.();
    setMention(mentions ? mentionAt(text, caret) : null);
    setActive(0);
  };

  const choose = (candidate: MentionCandidate) => {
    if (!mention || !area.current) return;
    const caret = area.current.selectionStart;
    const next = insertMention(value, mention.start, caret, candidate.handle);
    onChange(next.text);
    setMention(null);
    requestAnimationFrame(() => {
      area.current?.focus();
      area.current?.setSelectionRange(next.caret, next.caret);
    });
  };

  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (matches.length > 0) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        setActive((i) => (i + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length);
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        const chosen = matches[active];
        if (chosen) choose(chosen);
        return;
      }
      if (event.key === "Escape") {
        setMention(null);
        return;
      }
    }
    onKeyDown?.(event);
  };

  const listId = `${id}-mentions`;
  return (
    <>
      <textarea
        ref={area}
        id={id}
        rows={rows}
        value={value}
        hidden={hidden}
        required={required}
        onChange={(e) => change(e.target.value, e.target.selectionStart)}
        onKeyDown={keyDown}
        onBlur={() => setTimeout(() => setMention(null), 150)}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        aria-autocomplete={mentions ? "list" : undefined}
        aria-controls={matches.length > 0 ? listId : undefined}
        aria-activedescendant={matches.length > 0 ? `${listId}-${active}` : undefined}
        className={inputClass}
      />
      {matches.length > 0 && (
        <ul id={listId} role="listbox" aria-label="Mention someone" className="absolute z-20 mt-1 w-64 rounded-md bg-white py-1 shadow-lg ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-700">
          {matches.map((m, i) => (
            <li key={m.id} id={`${listId}-${i}`} role="option" aria-selected={i === active}
              onMouseDown={(e) => { e.preventDefault(); choose(m); }}
              className={`cursor-pointer px-3 py-1.5 text-sm ${i === active ? "bg-blue-100 dark:bg-blue-900" : ""}`}>
              {m.display_name} <span className="text-gray-600 dark:text-gray-400">@{m.handle}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
});
