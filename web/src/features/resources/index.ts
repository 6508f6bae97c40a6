export { ResourcesPage } from "./components/resources-page";
export { AttachmentList, AttachmentPicker } from "./components/attachments";
export { formatBytes, uploadFile, type Attachment, type Upload } from "./api";
