// How topic events change the cached topic pages, in place: pure functions over the infinite-query data.

import type { InfiniteData } from "@tanstack/react-query";

import type { Post, Topic, TopicPage } from "./types";

export type TopicData = InfiniteData<TopicPage, string | null>;

export const topicKey = (slug: string, topicId: string) => ["topic", slug, topicId] as const;
export const topicKeyPrefix = ["topic"] as const;

function mapPosts(data: TopicData, change: (post: Post) => Post): TopicData {
  return { ...data, pages: data.pages.map((page) => ({ ...page, posts: page.posts.map(change) })) };
}

/** A new post lands at the end of the last loaded page, once (a replay or our own answer may repeat it). */
export function addPost(data: TopicData, post: Post): TopicData {
  if (data.pages.some((p) => p.posts.some((x) => x.id === post.id))) return replacePost(data, post);
  const last = data.pages.length - 1;
  // With more pages still unloaded, the post belongs after them; the "load more" fetch will bring it.
  if (data.pages[last]?.next_cursor) return bumpReplies(data, 1);
  const pages = data.pages.map((page, i) => (i === last ? { ...page, posts: [...page.posts, post] } : page));
  return bumpReplies({ ...data, pages }, 1);
}

function bumpReplies(data: TopicData, by: number): TopicData {
  return { ...data, pages: data.pages.map((p) => ({ ...p, topic: { ...p.topic, reply_count: Math.max(0, p.topic.reply_count + by) } })) };
}

/** An edit or a reaction: the server's view of the post, but my own reactions stay mine. */
export function replacePost(data: TopicData, post: Post, keepMine = true): TopicData {
  return mapPosts(data, (old) => (old.id === post.id ? { ...post, my_reactions: keepMine ? old.my_reactions : post.my_reactions } : old));
}

export function removePost(data: TopicData, postId: string): TopicData {
  const found = data.pages.some((p) => p.posts.some((x) => x.id === postId));
  if (!found) return data;
  // Replies to a deleted post keep their place in the thread, so the post stays as a marker.
  return bumpReplies(mapPosts(data, (old) => (old.id === postId ? { ...old, is_deleted: true, content: "", html: "" } : old)), -1);
}

export function reactionChanged(data: TopicData, postId: string, emoji: string, delta: number, mine: boolean, counts?: Record<string, number>): TopicData {
  return mapPosts(data, (old) => {
    if (old.id !== postId) return old;
    const next = counts ? { ...counts } : { ...old.reactions, [emoji]: Math.max(0, (old.reactions[emoji] ?? 0) + delta) };
    const reactions = Object.fromEntries(Object.entries(next).filter(([, n]) => n > 0));
    const my = mine ? (delta > 0 ? [...new Set([...old.my_reactions, emoji])] : old.my_reactions.filter((e) => e !== emoji)) : old.my_reactions;
    return { ...old, reactions, my_reactions: my };
  });
}

/** A topic's new fields merged in. Views only grow: an event carries the row as last written, while the
 * page we hold also counts the views the server has not written yet, so the larger count stays. */
export function updateTopic(data: TopicData, topic: Partial<Topic>): TopicData {
  return { ...data, pages: data.pages.map((p) => {
    const merged = { ...p.topic, ...topic };
    if (topic.view_count !== undefined) merged.view_count = Math.max(p.topic.view_count ?? 0, topic.view_count);
    return { ...p, topic: merged };
  }) };
}

export function markSolution(data: TopicData, postId: string): TopicData {
  return updateTopic(mapPosts(data, (old) => ({ ...old, is_solution: old.id === postId })), { solution_post_id: postId });
}

/** Posts arranged as a thread: each post with the replies to it, in the order they were written. */
export interface ThreadNode {
  post: Post;
  replies: ThreadNode[];
}

export function buildThread(posts: Post[]): ThreadNode[] {
  const nodes = new Map(posts.map((p) => [p.id, { post: p, replies: [] as ThreadNode[] }]));
  const roots: ThreadNode[] = [];
  for (const post of posts) {
    const node = nodes.get(post.id) as ThreadNode;
    const parent = post.parent_id ? nodes.get(post.parent_id) : undefined;
    if (parent) parent.replies.push(node);
    else roots.push(node);
  }
  return roots;
}

export function countReplies(node: ThreadNode): number {
  return node.replies.reduce((n, r) => n + 1 + countReplies(r), 0);
}

/** The topic as it opens: the first page, and when the first unread post lies beyond it, the page that
 * starts there (fetched by the server's `unread_cursor`) with a gap between them. */
export function openedAt(first: TopicPage, unread: TopicPage | null): TopicPage {
  if (!unread) return first;
  const loaded = new Set(first.posts.map((p) => p.id));
  const fresh = unread.posts.filter((p) => !loaded.has(p.id));
  const last = first.posts[first.posts.length - 1];
  // Nothing lies between when the pages overlap, or the first page ends at the last post I read.
  const between = last && first.next_cursor && fresh.length === unread.posts.length && last.id !== first.read?.last_read_post_id;
  const gap = between && last && first.next_cursor ? { after: last.id, cursor: first.next_cursor } : null;
  return { ...first, topic: unread.topic, posts: [...first.posts, ...fresh], next_cursor: unread.next_cursor, gap };
}

/** Does the topic open beyond its first page? Only when the first unread post is not on it. */
export function unreadCursorBeyond(first: TopicPage): string | null {
  const read = first.read;
  if (!read?.unread_cursor || !read.first_unread_post_id || !first.next_cursor) return null;
  return first.posts.some((p) => p.id === read.first_unread_post_id) ? null : read.unread_cursor;
}

/** Posts fetched from the gap's cursor go after `gap.after`, up to the first post already there; the
 * gap closes when they reach it, or moves on when this page stopped short. */
export function fillGap(data: TopicData, fetched: TopicPage): TopicData {
  const pages = data.pages.map((page) => {
    if (!page.gap) return page;
    const at = page.posts.findIndex((p) => p.id === page.gap?.after);
    if (at === -1) return { ...page, gap: null };
    const loaded = new Set(page.posts.map((p) => p.id));
    const meet = fetched.posts.findIndex((p) => loaded.has(p.id));
    const fresh = meet === -1 ? fetched.posts : fetched.posts.slice(0, meet);
    const last = fresh[fresh.length - 1];
    const gap = meet === -1 && fetched.next_cursor && last ? { after: last.id, cursor: fetched.next_cursor } : null;
    return { ...page, posts: [...page.posts.slice(0, at + 1), ...fresh, ...page.posts.slice(at + 1)], gap };
  });
  return { ...data, pages };
}
