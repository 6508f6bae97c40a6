export { SearchBox } from "./components/search-box";
export { SearchPage } from "./components/search-page";
export { snippetParts } from "./api";
