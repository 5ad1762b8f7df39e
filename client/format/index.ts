/** Public entry of the encrypted file format (docs/formats.md). */
export { bindingOf } from "./binding.js";
export { FormatError, type FormatErrorCode } from "./errors.js";
export {
  DEFAULT_CHUNK_SIZE,
  DEK_SIZE,
  HEADER_SIZE,
  MAX_CHUNK_SIZE,
  TAG_SIZE,
  VERSION,
  MIN_CHUNK_SIZE,
  encryptedSize,
  generateDek,
  keyCheck,
  parseHeader,
  plaintextSize,
  type Header,
} from "./layout.js";
export {
  decryptStream,
  encryptStream,
  type DecryptOptions,
  type EncryptOptions,
  type StreamOptions,
} from "./stream.js";
export { decryptBytes, encryptBytes } from "./bytes.js";
export {
  checkEncryptedFile,
  decryptFile,
  decryptFolder,
  encryptFile,
  encryptFolder,
  listFiles,
  type DecryptFileOptions,
  type EncryptFileOptions,
  type FileOptions,
  type FolderEntry,
  type ProgressCallback,
} from "./files.js";
