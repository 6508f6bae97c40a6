export { BillingPage } from "./components/billing-page";
export { isPlanRequired, PlanPrompt } from "./components/plan-prompt";
