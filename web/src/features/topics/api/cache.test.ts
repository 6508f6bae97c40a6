import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";

import { meKey } from "@/lib/session-hooks";

import { addPost, buildThread, fillGap, openedAt, removePost, topicKey, unreadCursorBeyond, type TopicData } from "./cache";
import { applyTopicFrame } from "./live";
import type { Post, Topic, TopicPage } from "./types";

const topic = { id: "t1", forum_id: "f1", title: "T", reply_count: 1 } as Topic;

function post(id: string, parent: string | null = null, extra: Partial<Post> = {}): Post {
  return { id, topic_id: "t1", parent_id: parent, author: { id: `a-${id}`, display_name: id, avatar_url: null }, content: id, html: `<p>${id}</p>`,
    is_solution: false, is_deleted: false, is_hidden: false, reactions: {}, my_reactions: [], edit_count: 0, created_at: "2026-12-01T10:00:00Z", last_edited_at: null,
    attachments: [], ...extra };
}

function data(posts: Post[], nextCursor: string | null = null): TopicData {
  return { pages: [{ topic, posts, next_cursor: nextCursor, read: null, last_visit_at: null }], pageParams: [null] };
}

function cached(client: QueryClient): TopicData {
  return client.getQueryData<TopicData>(topicKey("acme", "t1")) as TopicData;
}

function page(ids: string[], nextCursor: string | null, read: TopicPage["read"] = null): TopicPage {
  return { topic, posts: ids.map((id) => post(id)), next_cursor: nextCursor, read, last_visit_at: null };
}

describe("opening at the first unread post", () => {
  const read = { last_read_post_id: "p3", first_unread_post_id: "p4", unread_count: 3, unread_cursor: "after-p3" };

  it("jumps by the server's unread cursor only when the first unread post is beyond the first page", () => {
    expect(unreadCursorBeyond(page(["p1", "p2"], "after-p2", read))).toBe("after-p3");
    expect(unreadCursorBeyond(page(["p1", "p4"], "after-p4", read))).toBeNull();
    expect(unreadCursorBeyond(page(["p1", "p2"], null, read))).toBeNull();
    expect(unreadCursorBeyond(page(["p1", "p2"], "after-p2", null))).toBeNull();
  });

  it("leaves a gap after the first page and fills it up to the posts already there", () => {
    const opened = openedAt(page(["p1", "p2"], "after-p2", read), page(["p4", "p5"], "after-p5"));
    expect(opened.posts.map((p) => p.id)).toEqual(["p1", "p2", "p4", "p5"]);
    expect(opened.gap).toEqual({ after: "p2", cursor: "after-p2" });
    expect(opened.next_cursor).toBe("after-p5");
    const d: TopicData = { pages: [opened], pageParams: [null] };
    const filled = fillGap(d, page(["p3", "p4", "p5"], "after-p5"));
    expect(filled.pages[0]?.posts.map((p) => p.id)).toEqual(["p1", "p2", "p3", "p4", "p5"]);
    expect(filled.pages[0]?.gap).toBeNull();
  });

  it("leaves no gap when the first page ends where my reading stopped", () => {
    const opened = openedAt(page(["p1", "p3"], "after-p3", read), page(["p4"], null));
    expect(opened.posts.map((p) => p.id)).toEqual(["p1", "p3", "p4"]);
    expect(opened.gap).toBeNull();
  });

  it("moves the gap on when one fetch does not reach the loaded posts", () => {
    const d: TopicData = { pages: [openedAt(page(["p1"], "after-p1", read), page(["p9"], null))], pageParams: [null] };
    const step = fillGap(d, page(["p2", "p3"], "after-p3"));
    expect(step.pages[0]?.posts.map((p) => p.id)).toEqual(["p1", "p2", "p3", "p9"]);
    expect(step.pages[0]?.gap).toEqual({ after: "p3", cursor: "after-p3" });
  });
});

describe("topic cache", () => {
  it("adds a new post once, even when the event repeats our own answer", () => {
    let d = addPost(data([post("p1")]), post("p2"));
    d = addPost(d, post("p2"));
    expect(d.pages[0]?.posts.map((p) => p.id)).toEqual(["p1", "p2"]);
    expect(d.pages[0]?.topic.reply_count).toBe(2);
  });

  it("leaves a new post for the next page when later pages are not loaded yet", () => {
    const d = addPost(data([post("p1")], "cursor"), post("p9"));
    expect(d.pages[0]?.posts.map((p) => p.id)).toEqual(["p1"]);
  });

  it("keeps a deleted post as a marker so its replies keep their place", () => {
    const d = removePost(data([post("p1"), post("p2", "p1")]), "p1");
    expect(d.pages[0]?.posts[0]?.is_deleted).toBe(true);
    expect(buildThread(d.pages[0]?.posts ?? [])[0]?.replies[0]?.post.id).toBe("p2");
  });

  it("threads posts by parent_id", () => {
    const roots = buildThread([post("a"), post("b", "a"), post("c"), post("d", "b")]);
    expect(roots.map((n) => n.post.id)).toEqual(["a", "c"]);
    expect(roots[0]?.replies[0]?.replies[0]?.post.id).toBe("d");
  });
});

describe("topic events applied to the query cache", () => {
  function client(): QueryClient {
    const c = new QueryClient();
    c.setQueryData(topicKey("acme", "t1"), data([post("p1", null, { reactions: { "👍": 1 }, my_reactions: ["👍"] })]));
    c.setQueryData(meKey, { user: { id: "me" } });
    return c;
  }

  it("post_created appends in place", () => {
    const c = client();
    applyTopicFrame({ type: "post_created", id: 1, channel: "topic:t1", topic_id: "t1", post: post("p2") }, c);
    expect(cached(c).pages[0]?.posts.map((p) => p.id)).toEqual(["p1", "p2"]);
  });

  it("post_updated replaces the post but keeps my own reactions", () => {
    const c = client();
    applyTopicFrame({ type: "post_updated", id: 2, topic_id: "t1", post: post("p1", null, { html: "<p>new</p>", edit_count: 1, reactions: { "👍": 1 } }) }, c);
    const p1 = cached(c).pages[0]?.posts[0];
    expect(p1?.html).toBe("<p>new</p>");
    expect(p1?.my_reactions).toEqual(["👍"]);
  });

  it("someone else's reaction updates the count, not my reactions", () => {
    const c = client();
    applyTopicFrame({ type: "reaction_added", id: 3, topic_id: "t1", emoji: "🎉", user_id: "other", post: post("p1", null, { reactions: { "👍": 1, "🎉": 1 } }) }, c);
    const p1 = cached(c).pages[0]?.posts[0];
    expect(p1?.reactions).toEqual({ "👍": 1, "🎉": 1 });
    expect(p1?.my_reactions).toEqual(["👍"]);
  });

  it("topic_updated keeps the larger view count (the event's row lags the views not yet written)", () => {
    const c = client();
    c.setQueryData(topicKey("acme", "t1"), { pages: [{ ...page(["p1"], null), topic: { ...topic, view_count: 3 } }], pageParams: [null] });
    applyTopicFrame({ type: "topic_updated", id: 5, topic_id: "t1", topic: { ...topic, is_locked: true, view_count: 0 } }, c);
    expect(cached(c).pages[0]?.topic.view_count).toBe(3);
    expect(cached(c).pages[0]?.topic.is_locked).toBe(true);
    applyTopicFrame({ type: "topic_updated", id: 6, topic_id: "t1", topic: { ...topic, view_count: 7 } }, c);
    expect(cached(c).pages[0]?.topic.view_count).toBe(7);
  });

  it("my reaction from another tab marks it mine", () => {
    const c = client();
    applyTopicFrame({ type: "reaction_added", id: 4, topic_id: "t1", emoji: "🎉", user_id: "me", post: post("p1", null, { reactions: { "👍": 1, "🎉": 1 } }) }, c);
    expect(cached(c).pages[0]?.posts[0]?.my_reactions).toEqual(["👍", "🎉"]);
  });

  it("topic_updated changes the topic head; events of other topics change nothing", () => {
    const c = client();
    applyTopicFrame({ type: "topic_updated", id: 5, topic_id: "t1", topic: { ...topic, is_locked: true } }, c);
    applyTopicFrame({ type: "post_created", id: 6, topic_id: "t2", post: { ...post("x"), topic_id: "t2" } }, c);
    expect(cached(c).pages[0]?.topic.is_locked).toBe(true);
    expect(cached(c).pages[0]?.posts).toHaveLength(1);
  });

  it("post_deleted marks the post deleted", () => {
    const c = client();
    applyTopicFrame({ type: "post_deleted", id: 7, topic_id: "t1", post_id: "p1" }, c);
    expect(cached(c).pages[0]?.posts[0]?.is_deleted).toBe(true);
  });
});
