// Bytes inside QuickJS: ArrayBuffers for ccf.crypto and the KV, Uint8Arrays for the shared codecs.
import { ccf } from "@microsoft/ccf-app/global.js";
import { hexEncode, utf8Encode } from "../../../contracts/src/encoding.js";

/** An ArrayBuffer holding exactly these bytes (ccf.crypto takes ArrayBuffers only). */
export function toBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes.buffer as ArrayBuffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(ccf.crypto.digest("SHA-256", toBuffer(bytes)));
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return hexEncode(sha256(utf8Encode(text)));
}

/** `bytes` random bytes from CCF's entropy, as lower-case hex (16, 24 or 32 bytes). */
export function randomHex(bytes: 16 | 24 | 32): string {
  return hexEncode(new Uint8Array(ccf.crypto.generateAesKey(bytes * 8)));
}
