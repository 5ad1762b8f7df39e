// The header row of a CSV input, read before DuckDB sees the stream: the engine matches the file's
// columns to the schema by name. The bytes read for it are put back, so the stream handed on still
// starts at its first byte and keeps flowing chunk by chunk. (An async iterator would not: its
// paused-mode read() joins every buffered chunk into a fresh buffer, a copy of the whole input
// that costs garbage collections as much as the copy itself.)
import { Readable } from "node:stream";

const MAX_HEADER = 1024 * 1024;
const NEWLINE = 10;
const CLOSED = "the input stream closed before its header row";

export interface CsvHeader {
  /** The header row's column names, unquoted. */
  names: string[];
  /** The whole input again, from its first byte. */
  stream: Readable;
}

const toBuffer = (chunk: unknown): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array);

/**
 * The bytes up to and including the chunk with the first newline, or all of them if there is
 * none. Those bytes are put back at once, while the source cannot have ended yet (nor can it end
 * with them unread), and the source is left paused for whoever takes it.
 */
function readFirstLine(source: Readable): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () =>
      source.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
    const onData = (chunk: unknown) => {
      const bytes = toBuffer(chunk);
      chunks.push(bytes);
      size += bytes.length;
      const found = bytes.includes(NEWLINE);
      if (!found && size <= MAX_HEADER) return;
      source.pause();
      stop();
      if (!found) return reject(new Error("header row too long"));
      const head = Buffer.concat(chunks, size);
      source.unshift(head);
      resolve({ head, ended: false });
    };
    const onEnd = () => {
      stop();
      resolve({ head: Buffer.concat(chunks, size), ended: true });
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => onError(new Error(CLOSED));
    source.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

function parseNames(head: Buffer): string[] {
  const end = head.indexOf(NEWLINE);
  const line = head
    .subarray(0, end < 0 ? head.length : end)
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .replace(/\r$/, "");
  if (line.trim() === "") throw new Error("no header row");
  return line.split(",").map((name) =>
    name
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .replaceAll('""', '"'),
  );
}

/** Reads the header row of `source`; rejects with the source's error, or if there is no header. */
export async function readCsvHeader(source: Readable): Promise<CsvHeader> {
  // The source may fail before whoever takes the stream listens: the error must not be uncaught
  // meanwhile. The taker still sees it, as the stream is then destroyed with it.
  source.on("error", () => undefined);
  if (source.destroyed) throw source.errored ?? new Error(CLOSED);
  const { head, ended } = await readFirstLine(source);
  return { names: parseNames(head), stream: ended ? Readable.from([head]) : source };
}
