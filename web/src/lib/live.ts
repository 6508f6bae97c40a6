// Realtime events -> the query cache. Each feature registers what its events change (in place, no refetch
// storm); the realtime client hands every event frame to `applyFrame`.

import type { QueryClient } from "@tanstack/react-query";

import type { Frame } from "./realtime";

export type FrameHandler = (frame: Frame, client: QueryClient) => void;

const handlers = new Map<string, Set<FrameHandler>>();

export function onFrame(types: string | string[], handler: FrameHandler): () => void {
  const names = typeof types === "string" ? [types] : types;
  for (const name of names) {
    if (!handlers.has(name)) handlers.set(name, new Set());
    handlers.get(name)?.add(handler);
  }
  return () => {
    for (const name of names) handlers.get(name)?.delete(handler);
  };
}

export function applyFrame(frame: Frame, client: QueryClient): void {
  for (const handler of handlers.get(frame.type) ?? []) handler(frame, client);
  for (const handler of handlers.get("*") ?? []) handler(frame, client);
}

// Who is typing where: short-lived, so a tiny store rather than the server-state cache.
export interface Typist {
  user_id: string;
  user_name: string;
  until: number;
}

const TYPING_MS = 6_000;
const typing = new Map<string, Typist[]>();
const typingListeners = new Set<() => void>();
let emptyTypists: Typist[] = [];

export function noteTyping(target: string, userId: string, userName: string, now = Date.now()): void {
  const others = (typing.get(target) ?? []).filter((t) => t.user_id !== userId && t.until > now);
  typing.set(target, [...others, { user_id: userId, user_name: userName, until: now + TYPING_MS }]);
  for (const listener of typingListeners) listener();
}

export function stopTyping(target: string, userId: string): void {
  const left = (typing.get(target) ?? []).filter((t) => t.user_id !== userId);
  typing.set(target, left);
  for (const listener of typingListeners) listener();
}

export function typistsOf(target: string): Typist[] {
  return typing.get(target) ?? emptyTypists;
}

export function subscribeTyping(listener: () => void): () => void {
  typingListeners.add(listener);
  return () => typingListeners.delete(listener);
}

export function expireTyping(now = Date.now()): void {
  let changed = false;
  for (const [target, list] of typing) {
    const left = list.filter((t) => t.until > now);
    if (left.length !== list.length) {
      typing.set(target, left);
      changed = true;
    }
  }
  if (changed) {
    emptyTypists = [];
    for (const listener of typingListeners) listener();
  }
}

onFrame("typing", (frame) => {
  const target = (frame.topic_id ?? frame.conversation_id) as string | undefined;
  if (target && typeof frame.user_id === "string") noteTyping(target, frame.user_id, String(frame.user_name ?? "Someone"));
});
