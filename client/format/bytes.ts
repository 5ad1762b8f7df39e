/** In-memory helpers over the streaming format, for small payloads and tests. */
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { PassThrough } from "node:stream";
import {
  decryptStream,
  encryptStream,
  type DecryptOptions,
  type EncryptOptions,
} from "./stream.js";

async function run(input: Uint8Array, transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const sink = new PassThrough();
  // Awaited together: when the pipeline fails, the sink's consumer rejects too, and must not be
  // left as an unhandled rejection.
  const [, collected] = await Promise.all([
    pipeline(Readable.from([Buffer.from(input)]), transform, sink),
    buffer(sink),
  ]);
  return collected;
}

/** Encrypts `plaintext` into one encrypted file image. */
export function encryptBytes(
  dek: Uint8Array,
  plaintext: Uint8Array,
  options: EncryptOptions = {},
): Promise<Buffer> {
  return run(plaintext, encryptStream(dek, options));
}

/** Decrypts and verifies a whole encrypted file image. */
export function decryptBytes(
  dek: Uint8Array,
  encrypted: Uint8Array,
  options: DecryptOptions = {},
): Promise<Buffer> {
  return run(encrypted, decryptStream(dek, options));
}
