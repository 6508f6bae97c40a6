import { describe, expect, it } from "vitest";

import { insertMention, mentionAt, quote } from "@/components/composer/mentions";
import { snippetParts } from "@/features/search/api";

import { safeNext } from "./next-path";

describe("where sign-in returns to", () => {
  it("accepts same-site paths only", () => {
    expect(safeNext("/acme/topics/1?x=2")).toBe("/acme/topics/1?x=2");
    expect(safeNext("//evil.example/")).toBe("/");
    expect(safeNext("/\\evil.example")).toBe("/");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
});

describe("@mentions", () => {
  it("finds the partial mention at the caret and completes it", () => {
    const text = "thanks @an";
    const found = mentionAt(text, text.length);
    expect(found).toEqual({ start: 7, query: "an" });
    expect(insertMention(text, 7, text.length, "analima")).toEqual({ text: "thanks @analima ", caret: 16 });
    expect(mentionAt("mail me at ana@example.com", 26)).toBeNull();
  });

  it("quotes a selection as Markdown", () => {
    expect(quote("line one\nline two", "Ben")).toBe("Ben wrote:\n> line one\n> line two\n\n");
  });
});

describe("search snippets", () => {
  it("keeps the server's marks and never treats the rest as HTML", () => {
    expect(snippetParts("a <mark>hit</mark> and <script>x</script> <mark>two</mark>")).toEqual([
      { text: "a ", hit: false }, { text: "hit", hit: true }, { text: " and <script>x</script> ", hit: false }, { text: "two", hit: true },
    ]);
  });
});
