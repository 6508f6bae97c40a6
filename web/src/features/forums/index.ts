export { ForumsPage } from "./components/forums-page";
export { ForumPage } from "./components/forum-page";
export { NewTopicPage } from "./components/new-topic-page";
export { forumKeys, type TopicSummary } from "./api";
