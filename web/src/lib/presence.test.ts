import { describe, expect, it } from "vitest";

import { applyPresence, changesOf } from "./presence";

const ann = { user: { id: "a", display_name: "Ann", avatar_url: null }, since: "t0" };
const bob = { user: { id: "b", display_name: "Bob", avatar_url: null }, since: "t0" };

describe("presence frames", () => {
  it("reads a burst (users) and a single change (at the top)", () => {
    expect(changesOf({ type: "presence", users: [{ user_id: "a", status: "online" }] })).toHaveLength(1);
    expect(changesOf({ type: "presence", user_id: "a", status: "offline" })).toEqual([
      { type: "presence", user_id: "a", status: "offline" }]);
  });

  it("edits the list in place with changes, keeping who stays", () => {
    const next = applyPresence({ online: [ann] }, {
      type: "presence", channel: "org:1",
      users: [{ user_id: "a", status: "offline" }, { user_id: "b", user_name: "Bob", status: "online" }],
    }, "t1");
    expect(next.online.map((o) => o.user.id)).toEqual(["b"]);
    expect(next.online[0]?.user.display_name).toBe("Bob");
  });

  it("replaces the list with the online list's snapshot, but not with a peers' snapshot", () => {
    const whole = applyPresence({ online: [ann, bob] }, {
      type: "presence", channel: "presence:1", snapshot: true, users: [{ user_id: "b", status: "online" }] });
    expect(whole.online.map((o) => o.user.id)).toEqual(["b"]);
    const peers = applyPresence({ online: [ann] }, {
      type: "presence", channel: "org:1", snapshot: true, users: [{ user_id: "b", status: "online" }] });
    expect(peers.online.map((o) => o.user.id).sort()).toEqual(["a", "b"]);
  });
});
