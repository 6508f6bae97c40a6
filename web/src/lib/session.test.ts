import { beforeEach, describe, expect, it } from "vitest";

import { saveToken, sessionExpired, storedToken } from "./session";

describe("a session the server ended", () => {
  beforeEach(() => {
    const items = new Map<string, string>();
    globalThis.localStorage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    } as Storage;
  });

  it("is remembered until the next sign-in, whichever redirect reaches sign-in first", () => {
    saveToken("t1");
    saveToken(null, true);
    expect(storedToken()).toBeNull();
    expect(sessionExpired()).toBe(true);
    saveToken("t2");
    expect(sessionExpired()).toBe(false);
  });

  it("is not claimed after a sign-out", () => {
    saveToken(null, true);
    saveToken(null);
    expect(sessionExpired()).toBe(false);
  });
});
