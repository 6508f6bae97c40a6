// The tab's one websocket: connect, reconnect with jittered backoff, resume from the last event id,
// subscriptions that survive reconnects, and events handed to the handlers that update the query cache.

export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface Frame {
  type: string;
  id?: number;
  channel?: string;
  [key: string]: unknown;
}

export type Status = "connecting" | "open" | "closed";

export interface RealtimeOptions {
  /** The full socket URL (token and org in the query), or null when signed out. */
  url: () => Promise<string | null>;
  createSocket?: (url: string) => SocketLike;
  onFrame: (frame: Frame) => void;
  /** Missed events could not be replayed (a `resync` frame, a fresh session): refetch what is shown. */
  onResync: () => void;
  /** The server closed for a reason a reconnect will not fix (4401 token expired, 4403 membership revoked). */
  onRefused?: (code: number) => void;
  onStatus?: (status: Status) => void;
  random?: () => number;
  timers?: { set: (fn: () => void, ms: number) => unknown; clear: (handle: unknown) => void };
  baseDelayMs?: number;
  maxDelayMs?: number;
  pingMs?: number;
}

const OPEN = 1;
const CLOSE_TOO_SLOW = 1013;
const REFUSED = new Set([4401, 4403]);

/** Exponential backoff with full jitter, capped: attempt 0 waits up to base, then 2x, 4x ... */
export function backoffDelay(attempt: number, random: () => number, baseMs = 500, maxMs = 30_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class RealtimeClient {
  private socket: SocketLike | null = null;
  private readonly channels = new Map<string, number>();
  private lastEventId: number | null = null;
  private attempt = 0;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private stopped = true;
  private welcomed = false;
  private resyncOnWelcome = false;
  private readonly options: RealtimeOptions;
  private readonly timers: NonNullable<RealtimeOptions["timers"]>;
  status: Status = "closed";

  constructor(options: RealtimeOptions) {
    this.options = options;
    this.timers = options.timers ?? {
      set: (fn, ms) => setTimeout(fn, ms),
      clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, "bye");
    }
    this.setStatus("closed");
  }

  /** Reference-counted: the channel stays subscribed while any screen holds it. */
  subscribe(channel: string): () => void {
    const count = this.channels.get(channel) ?? 0;
    this.channels.set(channel, count + 1);
    if (count === 0) this.send({ type: "subscribe", channel });
    return () => {
      const left = (this.channels.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.channels.set(channel, left);
        return;
      }
      this.channels.delete(channel);
      this.send({ type: "unsubscribe", channel });
    };
  }

  typing(target: { topic_id: string } | { conversation_id: string }): void {
    this.send({ type: "typing", ...target });
  }

  get subscriptions(): string[] {
    return [...this.channels.keys()];
  }

  get lastId(): number | null {
    return this.lastEventId;
  }

  private send(frame: Frame): void {
    if (this.socket && this.socket.readyState === OPEN && this.welcomed) this.socket.send(JSON.stringify(frame));
  }

  private async open(): Promise<void> {
    const url = await this.options.url().catch(() => null);
    if (this.stopped) return;
    if (url === null) {
      this.setStatus("closed");
      return;
    }
    this.setStatus("connecting");
    const create = this.options.createSocket ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
    const socket = create(resumeUrl(url, this.resyncOnWelcome ? null : this.lastEventId));
    this.socket = socket;
    this.welcomed = false;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(socket, event.code);
    socket.onerror = () => undefined;
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return;
    }
    if (frame.type === "welcome") {
      this.onWelcome();
      // A fresh session (the tab's first, or after a 1013) has nothing to resume from: what the screens
      // show was read before the server listened for this socket, and an event committed in between
      // (another admin's change while the page loaded) would never arrive. Refetch what is shown once.
      const fresh = this.lastEventId === null || this.resyncOnWelcome;
      if (fresh) {
        this.lastEventId = typeof frame.last_id === "number" ? frame.last_id : this.lastEventId;
        this.resyncOnWelcome = false;
        this.options.onResync();
      } else {
        this.send({ type: "resume", after: this.lastEventId });
      }
    } else if (frame.type === "resync") {
      this.options.onResync();
      return;
    } else if (typeof frame.id === "number") {
      if (this.lastEventId !== null && frame.id <= this.lastEventId) return; // a replayed duplicate
      this.lastEventId = frame.id;
    }
    this.options.onFrame(frame);
  }

  private onWelcome(): void {
    this.welcomed = true;
    this.attempt = 0;
    this.setStatus("open");
    for (const channel of this.channels.keys()) this.send({ type: "subscribe", channel });
    this.schedulePing();
  }

  private closed(socket: SocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.welcomed = false;
    this.clearTimers();
    this.setStatus("closed");
    if (this.stopped) return;
    if (REFUSED.has(code)) {
      this.stopped = true;
      this.options.onRefused?.(code);
      return;
    }
    // Too far behind: the retained events will not cover the gap, so the next session starts fresh.
    if (code === CLOSE_TOO_SLOW) {
      this.lastEventId = null;
      this.resyncOnWelcome = true;
    }
    const random = this.options.random ?? Math.random;
    const delay = backoffDelay(this.attempt, random, this.options.baseDelayMs, this.options.maxDelayMs);
    this.attempt += 1;
    this.retryTimer = this.timers.set(() => {
      this.retryTimer = null;
      void this.open();
    }, delay);
  }

  private schedulePing(): void {
    const every = this.options.pingMs ?? 25_000;
    this.pingTimer = this.timers.set(() => {
      this.send({ type: "ping" });
      this.schedulePing();
    }, every);
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) this.timers.clear(this.retryTimer);
    if (this.pingTimer !== null) this.timers.clear(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
  }

  private setStatus(status: Status): void {
    if (this.status === status) return;
    this.status = status;
    this.options.onStatus?.(status);
  }
}

/** `after` on the handshake: the server holds live events until the resume frame has replayed,
 * so a reconnecting tab gets every missed event once, in id order (older ones are never
 * overtaken by newer live ones, which the duplicate check would then drop). */
export function resumeUrl(url: string, after: number | null): string {
  if (after === null) return url;
  return `${url}${url.includes("?") ? "&" : "?"}after=${after}`;
}
