import { describe, expect, it } from "vitest";

import { describeRecurrence, fromRrule, fromZonedInput, NO_RECURRENCE, toRrule, toZonedInput } from "./lib";

describe("wall-clock input in the event's zone", () => {
  it("reads 10:00 in Berlin as 08:00Z in summer and 09:00Z in winter", () => {
    expect(fromZonedInput("2026-10-20T10:00", "Europe/Berlin")).toBe("2026-10-20T08:00:00Z");
    expect(fromZonedInput("2026-10-27T10:00", "Europe/Berlin")).toBe("2026-10-27T09:00:00Z");
  });

  it("round-trips through the zone", () => {
    for (const zone of ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]) {
      const value = "2026-03-29T09:30";
      const instant = fromZonedInput(value, zone);
      expect(instant).not.toBeNull();
      expect(toZonedInput(instant ?? "", zone)).toBe(value);
    }
  });

  it("refuses what is not a date and time", () => {
    expect(fromZonedInput("", "UTC")).toBeNull();
    expect(fromZonedInput("tomorrow", "UTC")).toBeNull();
  });
});

describe("the recurrence builder", () => {
  it("writes RRULE values and reads them back", () => {
    const weekly = { ...NO_RECURRENCE, frequency: "WEEKLY" as const, weekdays: ["TH" as const, "TU" as const], count: 10 };
    expect(toRrule(weekly)).toBe("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10");
    expect(fromRrule("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10")).toMatchObject({ frequency: "WEEKLY", weekdays: ["TU", "TH"], ends: "count", count: 10 });
    expect(toRrule({ ...NO_RECURRENCE, frequency: "MONTHLY", interval: 2, ends: "until", until: "2027-06-30" })).toBe("FREQ=MONTHLY;INTERVAL=2;UNTIL=20270630");
    expect(toRrule({ ...NO_RECURRENCE, frequency: "DAILY", ends: "never" })).toBe("FREQ=DAILY");
    expect(toRrule(NO_RECURRENCE)).toBeNull();
  });

  it("says it in words", () => {
    expect(describeRecurrence("FREQ=WEEKLY;BYDAY=TU;COUNT=10")).toBe("Every week on Tuesday, 10 times");
    expect(describeRecurrence("FREQ=MONTHLY;INTERVAL=2")).toBe("Every 2 months");
    expect(describeRecurrence(null)).toBe("Does not repeat");
  });
});
