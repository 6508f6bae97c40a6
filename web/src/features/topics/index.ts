export { TopicPage } from "./components/topic-page";
