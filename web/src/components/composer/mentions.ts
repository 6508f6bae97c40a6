/** The partial @mention ending at the caret, if the caret is in one. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|[\s(])@([A-Za-z0-9_.-]*)$/.exec(before);
  if (!match) return null;
  const query = match[2] ?? "";
  return { start: caret - query.length - 1, query };
}

export function insertMention(text: string, start: number, caret: number, handle: string): { text: string; caret: number } {
  const inserted = `@${handle} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** A Markdown quote of `selection` by `author`, ready to be followed by a reply. */
export function quote(selection: string, author: string): string {
  const lines = selection.trim().split(/\r?\n/).map((line) => `> ${line}`);
  return `${author} wrote:\n${lines.join("\n")}\n\n`;
}
