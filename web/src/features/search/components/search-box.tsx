import { useEffect, useState, type FormEvent, type KeyboardEvent } from "react";
import { useLocation, useNavigate } from "react-router";

import { orgPath, useOrg } from "@/lib/org";

import { useSuggestions } from "../api";

/** The header's search box: topic suggestions while typing, Enter for full results. */
export function SearchBox() {
  const { slug } = useOrg();
  const navigate = useNavigate();
  const location = useLocation();
  const [q, setQ] = useState("");
  const [debounced, setDebounced] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(q), 200);
    return () => clearTimeout(t);
  }, [q]);
  useEffect(() => setOpen(false), [location.pathname]);
  const suggestions = useSuggestions(slug, debounced).data?.suggestions ?? [];
  const shown = open && q.trim().length >= 2 ? suggestions.slice(0, 6) : [];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const chosen = shown[active];
    if (chosen) navigate(orgPath(slug, "topics", chosen.topic_id));
    else if (q.trim()) navigate(`${orgPath(slug, "search")}?q=${encodeURIComponent(q.trim())}`);
    setOpen(false);
  };
  const keyDown = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const n = shown.length;
      if (n) setActive((i) => (event.key === "ArrowDown" ? (i + 1) % n : (i - 1 + n) % n));
    } else if (event.key === "Escape") {
      setOpen(false);
    }
  };
  return (
    <form role="search" onSubmit={submit} className="relative">
      <label htmlFor="site-search" className="sr-only">Search</label>
      <input id="site-search" type="search" value={q} placeholder="Search…" autoComplete="off"
        role="combobox" aria-expanded={shown.length > 0} aria-controls="search-suggestions" aria-autocomplete="list"
        aria-activedescendant={active >= 0 && shown[active] ? `suggestion-${active}` : undefined}
        onChange={(e) => { setQ(e.target.value); setOpen(true); setActive(-1); }} onKeyDown={keyDown}
        onBlur={() => setTimeout(() => setOpen(false), 150)} onFocus={() => setOpen(true)}
        className="w-28 rounded-md border border-gray-300 bg-white px-3 py-1.5 text-sm sm:w-56 dark:border-gray-600 dark:bg-gray-900" />
      {shown.length > 0 && (
        <ul id="search-suggestions" role="listbox" aria-label="Suggestions" className="absolute right-0 z-30 mt-1 w-72 rounded-md bg-white py-1 shadow-lg ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-gray-700">
          {shown.map((s, i) => (
            <li key={s.topic_id} id={`suggestion-${i}`} role="option" aria-selected={i === active}
              onMouseDown={(e) => { e.preventDefault(); navigate(orgPath(slug, "topics", s.topic_id)); setOpen(false); }}
              className={`cursor-pointer truncate px-3 py-2 text-sm ${i === active ? "bg-blue-100 dark:bg-blue-900" : "hover:bg-gray-100 dark:hover:bg-gray-800"}`}>
              {s.title}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
