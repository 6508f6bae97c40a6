export { NotificationBell } from "./components/bell";
export { NotificationsPage } from "./components/notifications-page";
