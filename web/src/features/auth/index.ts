export { LoginPage } from "./components/login-page";
export { SignupPage } from "./components/signup-page";
export { InvitePage } from "./components/invite-page";
export { useLogin, useRegister } from "./api";
