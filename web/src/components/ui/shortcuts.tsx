import { useEffect, useRef, useState } from "react";

export interface Shortcut {
  key: string;
  label: string;
  run: () => void;
}

function typingInField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

/** Single-key shortcuts (never while typing in a field); `?` opens the list of them. */
export function useShortcuts(shortcuts: Shortcut[]): { open: boolean; close: () => void } {
  const [open, setOpen] = useState(false);
  const current = useRef(shortcuts);
  current.current = shortcuts;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event.target)) return;
      if (event.key === "?") {
        event.preventDefault();
        setOpen((o) => !o);
        return;
      }
      if (event.key === "Escape") setOpen(false);
      const found = current.current.find((s) => s.key === event.key);
      if (found) {
        event.preventDefault();
        found.run();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return { open, close: () => setOpen(false) };
}

export function ShortcutsDialog({ shortcuts, open, onClose }: { shortcuts: Shortcut[]; open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);
  return (
    <dialog ref={dialog} onClose={onClose} aria-labelledby="shortcuts-title" className="m-auto rounded-lg bg-white p-6 text-gray-900 shadow-xl backdrop:bg-black/40 dark:bg-gray-900 dark:text-gray-100">
      <h2 id="shortcuts-title" className="mb-4 text-lg font-semibold">Keyboard shortcuts</h2>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
        {[...shortcuts, { key: "?", label: "Show or hide this list" }].map((s) => (
          <div key={s.key} className="contents">
            <dt><kbd className="rounded border border-gray-300 px-1.5 py-0.5 font-mono dark:border-gray-600">{s.key}</kbd></dt>
            <dd>{s.label}</dd>
          </div>
        ))}
      </dl>
      <form method="dialog" className="mt-6 text-right">
        <button type="submit" className="rounded-md bg-blue-700 px-4 py-2 text-sm font-medium text-white">Close</button>
      </form>
    </dialog>
  );
}
