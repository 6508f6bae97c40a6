import { NavLink } from "react-router";

import { Avatar } from "@/components/ui/avatar";
import { EmptyState, ErrorNotice, ListSkeleton } from "@/components/ui/feedback";
import { orgPath, useOrg } from "@/lib/org";
import { timeAgo } from "@/lib/time";

import { useConversations, type Conversation } from "../api";

export function conversationName(c: Conversation, me: string | null): string {
  if (c.title) return c.title;
  const others = c.participants.filter((p) => p.user.id !== me).map((p) => p.user.display_name);
  return others.length ? others.join(", ") : "Only you";
}

export function ConversationList({ online }: { online: Set<string> | undefined }) {
  const { slug, userId } = useOrg();
  const conversations = useConversations(slug);
  if (conversations.isPending) return <ListSkeleton label="Loading conversations" />;
  if (conversations.isError) return <div className="p-4"><ErrorNotice error={conversations.error} /></div>;
  const list = conversations.data.conversations;
  if (list.length === 0) return <EmptyState title="No conversations yet">Start one with the form above.</EmptyState>;
  return (
    <ul aria-label="Conversations" className="divide-y divide-gray-200 dark:divide-gray-800">
      {list.map((c) => {
        const other = c.kind === "direct" ? c.participants.find((p) => p.user.id !== userId)?.user : undefined;
        return (
          <li key={c.id}>
            <NavLink to={orgPath(slug, "messages", c.id)}
              className={({ isActive }) => `flex items-center gap-3 px-4 py-3 hover:bg-gray-50 dark:hover:bg-gray-800 ${isActive ? "bg-blue-50 dark:bg-blue-950" : ""}`}>
              {other ? <Avatar user={other} size="sm" online={online ? online.has(other.id) : undefined} />
                : <span aria-hidden="true" className="inline-flex h-7 w-7 items-center justify-center rounded-full bg-gray-300 text-xs dark:bg-gray-700">{c.participants.length}</span>}
              <span className="min-w-0 flex-1">
                <span className={`block truncate text-sm ${c.unread_count > 0 ? "font-semibold" : ""}`}>{conversationName(c, userId)}</span>
                {c.last_message && <span className="block truncate text-xs text-gray-600 dark:text-gray-400">{c.last_message.excerpt} · {timeAgo(c.last_message.created_at)}</span>}
              </span>
              {c.unread_count > 0 && <span className="rounded-full bg-blue-700 px-1.5 text-xs text-white" aria-label={`${c.unread_count} unread`}>{c.unread_count}</span>}
            </NavLink>
          </li>
        );
      })}
    </ul>
  );
}
