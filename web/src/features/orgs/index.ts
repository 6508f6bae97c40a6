export { LandingPage } from "./components/landing-page";
export { CreateOrgPage } from "./components/create-org-page";
export { OrgSwitcher } from "./components/org-switcher";
export { fetchOrg, orgKeys, useOrgQuery } from "./api";
export { SettingsPage } from "./components/settings-page";
