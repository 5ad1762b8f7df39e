// Helpers shared by the backends: object names, prefixes and upload sources.
import { Readable } from "node:stream";

import { StorageError, type UploadSource } from "./types.js";

function hasControlOrBackslash(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}

/**
 * Checks an object name: relative, `/`-separated, no empty, `.` or `..` segments, no backslash or
 * control characters. The same rule for every backend, so a dataset can move between them.
 */
export function checkName(name: string): string {
  const segments = name.split("/");
  const bad =
    name.length === 0 ||
    name.length > 1024 ||
    hasControlOrBackslash(name) ||
    segments.some((s) => s === "" || s === "." || s === "..");
  if (bad) {
    throw new StorageError(
      "InvalidLocation",
      `invalid object name ${JSON.stringify(name.slice(0, 100))}: use a relative name of ` +
        "`/`-separated parts without empty, '.' or '..' parts",
    );
  }
  return name;
}

/** A location prefix normalised to `""` or `"a/b/"`. */
export function normalisePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return "";
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  checkName(trimmed);
  return `${trimmed}/`;
}

/** A list prefix (relative to the location): may end with `/` or be a partial name. */
export function checkListPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "") return "";
  if (hasControlOrBackslash(prefix) || prefix.startsWith("/")) {
    throw new StorageError("InvalidLocation", `invalid list prefix ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** The upload source as a Node stream. */
export function toReadable(source: UploadSource): Readable {
  return source instanceof Readable ? source : Readable.from(source, { objectMode: false });
}

/**
 * The upload source as a stream that counts the bytes read from it and fails as soon as `signal`
 * fires (SDK uploaders do not all stop reading promptly on their own abort signal).
 */
export function countingSource(
  source: UploadSource,
  signal: AbortSignal | undefined,
): { stream: Readable; bytes: () => number } {
  let bytes = 0;
  const input = toReadable(source);
  const stream = Readable.from(
    (async function* () {
      for await (const chunk of input) {
        signal?.throwIfAborted();
        const data = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
        bytes += data.length;
        yield data;
      }
    })(),
    { objectMode: false },
  );
  if (signal !== undefined) {
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      stream.destroy(reason instanceof Error ? reason : new Error("the upload was cancelled"));
      input.destroy();
    };
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener("abort", onAbort, { once: true });
      stream.once("close", () => signal.removeEventListener("abort", onAbort));
    }
  }
  return { stream, bytes: () => bytes };
}
