export { BrandingSettings } from "./components/branding-settings";
export { DomainSettings } from "./components/domain-settings";
