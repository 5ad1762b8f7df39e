/**
 * Decrypts as a run reads an input, in a process started with the Node flags under test
 * (test/runtime/node-flags.test.ts), and prints how many full collections it took.
 *
 *   node [flags] --expose-gc --heap-growing-percent=10 dist/test/support/gc-probe.js <folder> <MiB>
 *
 * The process first holds what the runtime holds (its modules) and collects once: with a growing
 * factor of 1.1, the headroom V8's memory reducer leaves a runtime that has been idle between runs.
 */
import { randomBytes } from "node:crypto";
import { constants, PerformanceObserver, type NodeGCPerformanceDetail } from "node:perf_hooks";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import "../../runtime/index.js";
import { decryptStream, encryptStream } from "../../client/format/index.js";
import { openStorage } from "../../client/storage/index.js";

const [folder, mebibytes] = process.argv.slice(2) as [string, string];
const storage = openStorage({ kind: "local", path: folder });
const dek = randomBytes(32);

const line = Buffer.from("4b2f9a0c1d3e5f60,north,42,user1234567@example.com\n".repeat(1024));
async function* plaintext() {
  for (let sent = 0; sent < Number(mebibytes) * 2 ** 20; sent += line.length) yield line;
}
const sealed = encryptStream(dek);
const stored = storage.put("part-0.csv", sealed);
await pipeline(Readable.from(plaintext()), sealed);
await stored;

(globalThis as { gc?: () => void }).gc!();
let fullCollections = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    // @types/node leaves out the detail a "gc" entry carries.
    const { kind } = (entry as unknown as { detail: NodeGCPerformanceDetail }).detail;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullCollections++;
  }
});
observer.observe({ entryTypes: ["gc"] });
await pipeline(
  await storage.get("part-0.csv"),
  decryptStream(dek),
  new Writable({ write: (_chunk, _encoding, done) => done() }),
);
// Entries are delivered after the collection: let the last ones arrive.
await new Promise((resolve) => setImmediate(resolve));
observer.disconnect();
console.log(JSON.stringify({ fullCollections }));
