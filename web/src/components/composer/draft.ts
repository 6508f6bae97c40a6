import { useCallback, useEffect, useRef, useState } from "react";

const PREFIX = "community.draft:";

/** Text that survives a reload: kept in localStorage under `key` until cleared (after sending). */
export function useDraft(key: string): [string, (value: string) => void, () => void] {
  const storageKey = PREFIX + key;
  const [value, setValue] = useState(() => localStorage.getItem(storageKey) ?? "");
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    setValue(localStorage.getItem(storageKey) ?? "");
  }, [storageKey]);

  const update = useCallback((next: string) => {
    setValue(next);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      if (next) localStorage.setItem(storageKey, next);
      else localStorage.removeItem(storageKey);
    }, 250);
  }, [storageKey]);

  const clear = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    localStorage.removeItem(storageKey);
    setValue("");
  }, [storageKey]);

  return [value, update, clear];
}
