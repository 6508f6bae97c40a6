export { AccountPage } from "./components/account-page";
export { ResetPasswordPage } from "./components/reset-password-page";
export { VerifyEmailPage } from "./components/verify-email-page";
export { signOutHere } from "./api";
