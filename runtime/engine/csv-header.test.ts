import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setImmediate as turn } from "node:timers/promises";

import { readCsvHeader } from "./csv-header.js";

/** A byte stream holding `chunks`, all buffered at once as a decrypting stream pushes them. */
function bytes(chunks: string[], error?: Error): Readable {
  const source = new Readable({ read: () => undefined });
  for (const chunk of chunks) source.push(Buffer.from(chunk));
  if (error) queueMicrotask(() => source.destroy(error));
  else source.push(null);
  return source;
}

/** Every chunk the stream yields, as it yields them. */
async function drain(stream: Readable): Promise<string[]> {
  const seen: string[] = [];
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        seen.push(chunk.toString("utf8"));
        done();
      },
    }),
  );
  return seen;
}

describe("engine: a CSV input's header row", () => {
  it("names the columns and hands on the whole input, chunk by chunk as it came", async () => {
    const chunks = ['\uFEFF"id",Na""me , age\r', "\na,1,2\r\n", "b,3,", "4\r\n", "c,5,6\r\n"];
    const header = await readCsvHeader(bytes(chunks));
    assert.deepEqual(header.names, ["id", 'Na"me', "age"]);
    // Not joined into one buffer: the stream flows with the chunks it was given.
    assert.deepEqual(await drain(header.stream), [chunks.slice(0, 2).join(""), ...chunks.slice(2)]);
  });

  it("reads a header row that ends the input, and refuses an empty or endless one", async () => {
    const only = await readCsvHeader(bytes(["id,", "name"]));
    assert.deepEqual(only.names, ["id", "name"]);
    assert.deepEqual(await drain(only.stream), ["id,name"]);
    await assert.rejects(readCsvHeader(bytes([])), /no header row/);
    await assert.rejects(readCsvHeader(bytes(["\r\nid\n"])), /no header row/);
    const wide = Array.from({ length: 20 }, () => "x".repeat(64 * 1024));
    await assert.rejects(readCsvHeader(bytes(wide)), /header row too long/);
  });

  it("fails with the source's error, before the header or after it", async () => {
    await assert.rejects(readCsvHeader(bytes(["id,na"], new Error("chunk 0 is damaged"))), {
      message: "chunk 0 is damaged",
    });
    // Failing while nobody reads the stream yet is not an uncaught error: the reader gets it.
    const header = await readCsvHeader(bytes(["id\n", "a\n"], new Error("chunk 1 is damaged")));
    await turn();
    await assert.rejects(drain(header.stream), { message: "chunk 1 is damaged" });
  });

  it("fails on a source closed early, or already closed", async () => {
    const cut = new Readable({ read: () => undefined });
    cut.push(Buffer.from("id,na"));
    setImmediate(() => cut.destroy());
    await assert.rejects(readCsvHeader(cut), /closed before its header row/);
    await assert.rejects(readCsvHeader(cut), /closed before its header row/);
    const failed = new Readable({ read: () => undefined });
    failed.on("error", () => undefined);
    failed.destroy(new Error("storage is down"));
    await turn();
    await assert.rejects(readCsvHeader(failed), { message: "storage is down" });
  });
});
