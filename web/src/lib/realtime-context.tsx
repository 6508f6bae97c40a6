import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";

import { appConfig } from "./config";
import { applyFrame, expireTyping, subscribeTyping, typistsOf, type Typist } from "./live";
import { RealtimeClient, type Status } from "./realtime";
import { currentToken } from "./session";

interface Realtime {
  client: RealtimeClient;
  status: Status;
}

const RealtimeContext = createContext<Realtime | null>(null);

export function RealtimeProvider({ org, onRefused, children }: {
  org: string;
  onRefused: (code: number) => void;
  children: ReactNode;
}) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>("closed");
  const refused = useRef(onRefused);
  refused.current = onRefused;
  const used = useRef<string | null>(null);
  const active = useRef(false);
  const client = useMemo(() => {
    const realtime: RealtimeClient = new RealtimeClient({
      url: async () => {
        const token = await currentToken();
        used.current = token;
        if (!token) return null;
        const url = new URL(appConfig().ws_url, location.href);
        url.searchParams.set("org", org);
        url.searchParams.set("access_token", token);
        return url.toString();
      },
      onFrame: (frame) => applyFrame(frame, queryClient),
      onResync: () => void queryClient.invalidateQueries(),
      onRefused: (code) => void (async () => {
        // 4401 ends the token this socket opened with. A password change in this tab ends it too, and
        // answers a new one (maybe just after the close): then carry on with that, resuming where we were.
        if (code === 4401) {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          const now = await currentToken();
          if (now && now !== used.current && active.current) {
            realtime.start();
            return;
          }
        }
        refused.current(code);
      })(),
      onStatus: setStatus,
    });
    return realtime;
  }, [org, queryClient]);

  useEffect(() => {
    active.current = true;
    client.start();
    const sweep = setInterval(() => expireTyping(), 1_000);
    return () => {
      clearInterval(sweep);
      active.current = false;
      client.stop();
    };
  }, [client]);

  const value = useMemo(() => ({ client, status }), [client, status]);
  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}

export function useRealtime(): Realtime | null {
  return useContext(RealtimeContext);
}

/** Subscribes to a channel while the calling screen is shown. */
export function useChannel(channel: string | null): void {
  const realtime = useContext(RealtimeContext);
  const client = realtime?.client;
  useEffect(() => (channel && client ? client.subscribe(channel) : undefined), [client, channel]);
}

export function useTypists(target: string): Typist[] {
  return useSyncExternalStore(subscribeTyping, () => typistsOf(target));
}

/** A function to call on each keystroke; it tells the server at most every 3 s. */
export function useSendTyping(target: { topic_id: string } | { conversation_id: string }): () => void {
  const realtime = useContext(RealtimeContext);
  const last = useRef(0);
  const key = JSON.stringify(target);
  return useMemo(() => () => {
    const now = Date.now();
    if (now - last.current < 3_000 || !realtime) return;
    last.current = now;
    realtime.client.typing(JSON.parse(key) as { topic_id: string });
  }, [realtime, key]);
}
