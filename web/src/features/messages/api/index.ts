import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData, type QueryClient } from "@tanstack/react-query";

import { api, withQuery } from "@/lib/api";
import { onFrame, stopTyping } from "@/lib/live";
import { meKey } from "@/lib/session-hooks";
import type { Page, Schemas } from "@/lib/types";
import { invalidateAfterWrite } from "@/lib/query-client";

export type Message = Schemas["Message"];

export type Participant = Schemas["Participant"];

export type Conversation = Schemas["Conversation"];

type MessagePage = { messages: Message[] } & Page;
export type MessageData = InfiniteData<MessagePage, string | null>;

export const messageKeys = {
  conversations: (slug: string) => ["conversations", slug] as const,
  conversation: (slug: string, id: string) => ["conversation", slug, id] as const,
  messages: (slug: string, id: string) => ["messages", slug, id] as const,
};

const base = (slug: string) => `/api/orgs/${encodeURIComponent(slug)}`;

/** Newest first in the pages (as the server answers): a new message goes to the front of page 0, once. */
export function addMessage(data: MessageData, message: Message): MessageData {
  if (data.pages.some((p) => p.messages.some((m) => m.id === message.id))) return replaceMessage(data, message);
  const pages = data.pages.map((p, i) => (i === 0 ? { ...p, messages: [message, ...p.messages] } : p));
  return { ...data, pages };
}

export function replaceMessage(data: MessageData, message: Message): MessageData {
  return { ...data, pages: data.pages.map((p) => ({ ...p, messages: p.messages.map((m) => (m.id === message.id ? { ...message, my_reactions: m.my_reactions } : m)) })) };
}

function setMessages(client: QueryClient, conversationId: string, change: (d: MessageData) => MessageData) {
  client.setQueriesData<MessageData>({ queryKey: ["messages"], predicate: (q) => q.queryKey[2] === conversationId }, (d) => (d ? change(d) : d));
}

function setConversation(client: QueryClient, conversationId: string, change: (c: Conversation) => Conversation) {
  client.setQueriesData<{ conversation: Conversation }>({ queryKey: ["conversation"], predicate: (q) => q.queryKey[2] === conversationId },
    (d) => (d ? { conversation: change(d.conversation) } : d));
}

onFrame("message_created", (frame, client) => {
  const message = frame.message as Message | undefined;
  if (!message) return;
  setMessages(client, message.conversation_id, (d) => addMessage(d, message));
  if (message.sender) stopTyping(message.conversation_id, message.sender.id);
  void invalidateAfterWrite(client, ["conversations"]);
});
onFrame("message_updated", (frame, client) => {
  const message = frame.message as Message | undefined;
  if (message) setMessages(client, message.conversation_id, (d) => replaceMessage(d, message));
});
onFrame("message_deleted", (frame, client) => {
  const id = String(frame.message_id);
  setMessages(client, String(frame.conversation_id), (d) => ({
    ...d, pages: d.pages.map((p) => ({ ...p, messages: p.messages.map((m) => (m.id === id ? { ...m, is_deleted: true, content: "", html: "" } : m)) })),
  }));
});
onFrame("read", (frame, client) => {
  setConversation(client, String(frame.conversation_id), (c) => ({
    ...c, participants: c.participants.map((p) => (p.user.id === frame.user_id ? { ...p, last_read_message_id: String(frame.last_read_message_id) } : p)),
  }));
});
onFrame(["conversation_created", "conversation_added", "conversation_updated", "conversation_removed", "participants_added", "participant_removed"], (_, client) => {
  void invalidateAfterWrite(client, ["conversations"]);
  void invalidateAfterWrite(client, ["conversation"]);
});

export function useConversations(slug: string) {
  return useQuery({
    queryKey: messageKeys.conversations(slug),
    queryFn: () => api.get<{ conversations: Conversation[] } & Page>(withQuery(`${base(slug)}/conversations`, { limit: 50 })),
  });
}

export function useConversation(slug: string, id: string) {
  return useQuery({
    queryKey: messageKeys.conversation(slug, id),
    queryFn: () => api.get<{ conversation: Conversation }>(`${base(slug)}/conversations/${id}`),
    retry: false,
  });
}

export function useMessages(slug: string, id: string) {
  return useInfiniteQuery({
    queryKey: messageKeys.messages(slug, id),
    queryFn: ({ pageParam }) => api.get<MessagePage>(withQuery(`${base(slug)}/conversations/${id}/messages`, { cursor: pageParam, limit: 50 })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    retry: false,
  });
}

export function useStartConversation(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { participant_ids: string[]; title?: string }) => api.post<{ conversation: Conversation }>(`${base(slug)}/conversations`, body),
    onSuccess: () => invalidateAfterWrite(client, messageKeys.conversations(slug)),
  });
}

export function useSendMessage(slug: string, id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ content, attachments }: { content: string; attachments?: string[] }) =>
      api.post<{ message: Message }>(`${base(slug)}/conversations/${id}/messages`, {
        content, client_id: crypto.randomUUID(), ...(attachments?.length ? { attachments } : {}),
      }),
    onSuccess: ({ message }) => {
      client.setQueryData<MessageData>(messageKeys.messages(slug, id), (d) => (d ? addMessage(d, message) : d));
      void invalidateAfterWrite(client, messageKeys.conversations(slug));
    },
  });
}

export function useEditMessage(slug: string, id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ messageId, content }: { messageId: string; content: string }) =>
      api.patch<{ message: Message }>(`${base(slug)}/conversations/${id}/messages/${messageId}`, { content }),
    onSuccess: ({ message }) => client.setQueryData<MessageData>(messageKeys.messages(slug, id), (d) => (d ? replaceMessage(d, message) : d)),
  });
}

export function useDeleteMessage(slug: string, id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (messageId: string) => api.del(`${base(slug)}/conversations/${id}/messages/${messageId}`),
    onSuccess: (_, messageId) => setMessages(client, id, (d) => ({
      ...d, pages: d.pages.map((p) => ({ ...p, messages: p.messages.map((m) => (m.id === messageId ? { ...m, is_deleted: true, content: "", html: "" } : m)) })),
    })),
  });
}

export function useMarkRead(slug: string, id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (upTo: string) => api.post(`${base(slug)}/conversations/${id}/read`, { up_to: upTo }),
    onSuccess: () => {
      void invalidateAfterWrite(client, messageKeys.conversations(slug));
      void invalidateAfterWrite(client, meKey);
    },
  });
}
