import { describe, expect, it } from "vitest";

import { notificationText, UNAVAILABLE } from "./lib";

describe("what a notification says", () => {
  it("names who replied and where", () => {
    expect(notificationText({ kind: "reply", title: "Launch plan", actor_name: "Ana", available: true })).toBe("Ana replied in Launch plan");
    expect(notificationText({ kind: "mention", title: "Launch plan", actor_name: "Ben" })).toBe("Ben mentioned you in Launch plan");
    expect(notificationText({ kind: "watched_topic", title: "Launch plan", actor_name: "Ana" })).toBe("Ana posted in Launch plan");
    expect(notificationText({ kind: "watched_forum", title: "Launch plan", actor_name: "Ana" })).toBe("Ana started Launch plan");
    expect(notificationText({ kind: "announcement", title: "Launch day", actor_name: "Ana" })).toBe("Ana announced Launch day");
  });

  it("keeps the title when the actor is not known, and messages' own line", () => {
    expect(notificationText({ kind: "reply", title: "Launch plan", actor_name: null })).toBe("Launch plan");
    expect(notificationText({ kind: "reply", title: "Launch plan", actor_name: "  " })).toBe("Launch plan");
    expect(notificationText({ kind: "message", title: "Ana in Launch crew", actor_name: "Ana" })).toBe("Ana in Launch crew");
    expect(notificationText({ kind: "event_cancelled", title: "Meetup cancelled", actor_name: "Ana" })).toBe("Meetup cancelled");
  });

  it("says nothing of a subject no longer mine to read", () => {
    expect(notificationText({ kind: "reply", title: "", actor_name: null, available: false })).toBe(UNAVAILABLE);
    // Even if a name slipped through, an unavailable subject shows neither it nor a title.
    expect(notificationText({ kind: "reply", title: "Secret", actor_name: "Ana", available: false })).toBe(UNAVAILABLE);
  });
});
