import type { QueryClient } from "@tanstack/react-query";

import { onFrame, stopTyping } from "@/lib/live";
import type { Frame } from "@/lib/realtime";
import { meKey } from "@/lib/session-hooks";
import type { Me } from "@/lib/types";

import { addPost, markSolution, reactionChanged, removePost, replacePost, topicKeyPrefix, updateTopic, type TopicData } from "./cache";
import type { Post, Topic } from "./types";

function updateTopicCache(client: QueryClient, topicId: string, change: (data: TopicData) => TopicData): void {
  client.setQueriesData<TopicData>({ queryKey: topicKeyPrefix }, (data) =>
    data && data.pages[0]?.topic.id === topicId ? change(data) : data);
}

function myId(client: QueryClient): string | undefined {
  return client.getQueryData<Me>(meKey)?.user.id;
}

export function applyTopicFrame(frame: Frame, client: QueryClient): void {
  const post = frame.post as Post | undefined;
  const topicId = (frame.topic_id as string | undefined) ?? post?.topic_id ?? (frame.topic as Topic | undefined)?.id;
  if (!topicId) return;
  switch (frame.type) {
    case "post_created":
      if (post) {
        updateTopicCache(client, topicId, (d) => addPost(d, post));
        if (post.author) stopTyping(topicId, post.author.id);
      }
      break;
    case "post_updated":
      if (post) updateTopicCache(client, topicId, (d) => replacePost(d, post));
      break;
    case "post_deleted":
      updateTopicCache(client, topicId, (d) => removePost(d, String(frame.post_id)));
      break;
    case "reaction_added":
    case "reaction_removed":
      if (post) {
        const mine = frame.user_id === myId(client);
        const delta = frame.type === "reaction_added" ? 1 : -1;
        updateTopicCache(client, topicId, (d) => reactionChanged(d, post.id, String(frame.emoji), delta, mine, post.reactions));
      }
      break;
    case "post_solution_marked":
      if (post) updateTopicCache(client, topicId, (d) => markSolution(d, post.id));
      break;
    case "topic_updated":
    case "topic_moved":
      if (frame.topic) updateTopicCache(client, topicId, (d) => updateTopic(d, frame.topic as Topic));
      break;
    case "topic_deleted":
      client.removeQueries({ queryKey: topicKeyPrefix, predicate: (q) => q.queryKey[2] === topicId });
      break;
  }
}

const TYPES = ["post_created", "post_updated", "post_deleted", "reaction_added", "reaction_removed", "post_solution_marked",
  "topic_updated", "topic_moved", "topic_deleted"];

export function registerTopicEvents(): () => void {
  return onFrame(TYPES, applyTopicFrame);
}
