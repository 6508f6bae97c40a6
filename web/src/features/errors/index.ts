export { ForbiddenPage, NotFoundPage } from "./components/error-pages";
