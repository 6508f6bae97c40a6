import { useState } from "react";
import { useParams } from "react-router";

import { Button } from "@/components/ui/button";
import { useOrg } from "@/lib/org";
import { useOnline } from "@/lib/presence";

import { ConversationList } from "./conversation-list";
import { ConversationView } from "./conversation-view";
import { NewConversation } from "./new-conversation";

export function MessagesPage() {
  const { conversationId } = useParams();
  const { slug } = useOrg();
  const online = useOnline(slug);
  const [starting, setStarting] = useState(false);
  return (
    <div className="grid overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-gray-200 md:grid-cols-[20rem_1fr] dark:bg-gray-900 dark:ring-gray-800">
      <div className={`border-gray-200 md:border-r dark:border-gray-800 ${conversationId ? "hidden md:block" : ""}`}>
        <div className="flex items-center justify-between border-b border-gray-200 px-4 py-3 dark:border-gray-800">
          <h1 className="text-lg font-semibold">Messages</h1>
          {!starting && <Button size="sm" onClick={() => setStarting(true)}>New message</Button>}
        </div>
        {starting && <NewConversation onDone={() => setStarting(false)} />}
        <ConversationList online={online} />
      </div>
      <div className={conversationId ? "" : "hidden md:flex md:items-center md:justify-center"}>
        {conversationId ? <ConversationView key={conversationId} /> : <p className="p-8 text-gray-600 dark:text-gray-400">Choose a conversation, or start a new one.</p>}
      </div>
    </div>
  );
}
