export { DashboardPage } from "./components/dashboard-page";
export { dashboardKey } from "./api";
