import { describe, expect, it } from "vitest";

import { backoffDelay, RealtimeClient, type SocketLike } from "./realtime";

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  constructor(readonly url: string) {}
  send(data: string) { this.sent.push(JSON.parse(data) as Record<string, unknown>); }
  close() { this.readyState = 3; }
  // The server's side of the conversation:
  open(lastId = 0) {
    this.readyState = 1;
    this.onopen?.({});
    this.frame({ type: "welcome", user_id: "u", org_id: "o", channels: [], last_id: lastId });
  }
  frame(frame: Record<string, unknown>) { this.onmessage?.({ data: JSON.stringify(frame) }); }
  drop(code: number) { this.readyState = 3; this.onclose?.({ code, reason: "" }); }
}

class FakeTimers {
  now = 0;
  private queue: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  set = (fn: () => void, ms: number) => { const id = this.next++; this.queue.push({ at: this.now + ms, fn, id }); return id; };
  clear = (id: unknown) => { this.queue = this.queue.filter((t) => t.id !== id); };
  pending(): number[] { return this.queue.map((t) => t.at - this.now); }
  advance(ms: number) {
    this.now += ms;
    for (;;) {
      const due = this.queue.filter((t) => t.at <= this.now).sort((x, y) => x.at - y.at)[0];
      if (!due) return;
      this.queue = this.queue.filter((t) => t !== due);
      due.fn();
    }
  }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup(random = () => 0.5) {
  const sockets: FakeSocket[] = [];
  const frames: Record<string, unknown>[] = [];
  const resyncs: number[] = [];
  const refused: number[] = [];
  const timers = new FakeTimers();
  const client = new RealtimeClient({
    url: async () => "ws://x/ws?org=o",
    createSocket: (url) => { const s = new FakeSocket(url); sockets.push(s); return s; },
    onFrame: (f) => frames.push(f),
    onResync: () => resyncs.push(timers.now),
    onRefused: (code) => refused.push(code),
    random,
    timers,
    pingMs: 1_000_000,
  });
  return { client, sockets, frames, resyncs, refused, timers };
}

describe("backoff", () => {
  it("grows exponentially with jitter and a cap", () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 0.5)).toBe(3000);
    expect(backoffDelay(30, () => 1)).toBe(30_000);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(4, () => i / 20)));
    expect(spread.size).toBe(20);
  });
});

describe("RealtimeClient", () => {
  it("subscribes after the welcome and again after a reconnect", async () => {
    const { client, sockets, timers } = setup();
    client.subscribe("topic:1");
    client.start();
    await flush();
    sockets[0]?.open(10);
    expect(sockets[0]?.sent).toEqual([{ type: "subscribe", channel: "topic:1" }]);
    sockets[0]?.drop(1006);
    expect(timers.pending()).toEqual([375]);
    timers.advance(375);
    await flush();
    expect(sockets).toHaveLength(2);
    sockets[1]?.open(10);
    expect(sockets[1]?.sent).toEqual([
      { type: "subscribe", channel: "topic:1" },
      { type: "resume", after: 10 },
    ]);
  });

  it("resumes from the last event it saw and drops replayed duplicates", async () => {
    const { client, sockets, frames, timers } = setup();
    client.start();
    await flush();
    sockets[0]?.open(5);
    sockets[0]?.frame({ type: "post_created", id: 6, channel: "topic:1" });
    sockets[0]?.frame({ type: "post_created", id: 7, channel: "topic:1" });
    sockets[0]?.drop(1006);
    timers.advance(1000);
    await flush();
    expect(sockets[0]?.url).toBe("ws://x/ws?org=o");
    expect(sockets[1]?.url).toBe("ws://x/ws?org=o&after=7"); // live events wait for the replay
    sockets[1]?.open(9);
    expect(sockets[1]?.sent).toContainEqual({ type: "resume", after: 7 });
    sockets[1]?.frame({ type: "post_created", id: 7, channel: "topic:1" });
    sockets[1]?.frame({ type: "post_created", id: 8, channel: "topic:1" });
    expect(frames.filter((f) => f.type === "post_created").map((f) => f.id)).toEqual([6, 7, 8]);
    expect(client.lastId).toBe(8);
  });

  it("backs off further on each failed attempt and resets once welcomed", async () => {
    const { client, sockets, timers } = setup(() => 1);
    client.start();
    await flush();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      sockets[sockets.length - 1]?.drop(1006);
      delays.push(timers.pending()[0] ?? -1);
      timers.advance(delays[i] ?? 0);
      await flush();
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
    sockets[sockets.length - 1]?.open(1);
    sockets[sockets.length - 1]?.drop(1006);
    expect(timers.pending()).toEqual([500]);
  });

  it("asks for a refetch on resync, and after a 1013 close starts fresh", async () => {
    const { client, sockets, resyncs, timers } = setup();
    client.start();
    await flush();
    sockets[0]?.open(3);
    expect(resyncs).toHaveLength(1); // the first session: what is shown was read before it listened
    sockets[0]?.frame({ type: "resync" });
    expect(resyncs).toHaveLength(2);
    sockets[0]?.frame({ type: "post_created", id: 4 });
    sockets[0]?.drop(1013);
    timers.advance(1000);
    await flush();
    expect(sockets[1]?.url).toBe("ws://x/ws?org=o"); // starting fresh: nothing to hold live events for
    sockets[1]?.open(50);
    expect(sockets[1]?.sent.some((f) => f.type === "resume")).toBe(false);
    expect(resyncs).toHaveLength(3);
    expect(client.lastId).toBe(50);
  });

  it("refetches once on the first welcome (events before it cannot be replayed), never on a resume", async () => {
    const { client, sockets, resyncs, timers } = setup();
    client.start();
    await flush();
    expect(resyncs).toHaveLength(0);
    sockets[0]?.open(8);
    expect(resyncs).toHaveLength(1);
    expect(client.lastId).toBe(8);
    sockets[0]?.drop(1006);
    timers.advance(1000);
    await flush();
    sockets[1]?.open(9);
    expect(sockets[1]?.sent).toContainEqual({ type: "resume", after: 8 });
    expect(resyncs).toHaveLength(1);
  });

  it("does not reconnect when the server refuses the session", async () => {
    const { client, sockets, refused, timers } = setup();
    client.start();
    await flush();
    sockets[0]?.open(1);
    sockets[0]?.drop(4403);
    expect(refused).toEqual([4403]);
    expect(timers.pending()).toEqual([]);
  });

  it("keeps a channel while any screen holds it", async () => {
    const { client, sockets } = setup();
    client.start();
    await flush();
    sockets[0]?.open(1);
    const first = client.subscribe("forum:1");
    const second = client.subscribe("forum:1");
    first();
    expect(client.subscriptions).toEqual(["forum:1"]);
    second();
    expect(client.subscriptions).toEqual([]);
    expect(sockets[0]?.sent).toEqual([{ type: "subscribe", channel: "forum:1" }, { type: "unsubscribe", channel: "forum:1" }]);
  });

  it("stops cleanly: no reconnect after stop", async () => {
    const { client, sockets, timers } = setup();
    client.start();
    await flush();
    sockets[0]?.open(1);
    client.stop();
    expect(timers.pending()).toEqual([]);
    expect(client.status).toBe("closed");
  });
});
