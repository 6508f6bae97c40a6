export { CalendarPage } from "./components/calendar-page";
export { EventPage } from "./components/event-page";
export { EditEventPage, NewEventPage } from "./components/event-form-page";
export { CalendarFeedPage } from "./components/calendar-feed-page";
export { eventKeys, type EventItem } from "./api";
