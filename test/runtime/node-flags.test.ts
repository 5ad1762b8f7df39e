/**
 * The runtime's Node flags (runtime/node-flags.ts) keep decryption free of full collections in a
 * process whose old generation has little headroom, the state an idle runtime is left in: the
 * same decryption without them (the control) shows the collections the flags exist to prevent.
 * If a later Node drops the accounting behind them, the control fails: the flags can then go.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { RUNTIME_NODE_FLAGS } from "../../runtime/node-flags.js";

const PROBE = fileURLToPath(new URL("../support/gc-probe.js", import.meta.url));
/** Enough for ~8 young collections forced by the decrypted buffers (one per 32 MiB of them). */
const MEBIBYTES = "128";

async function fullCollections(flags: readonly string[]): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), "gc-probe-"));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      ...flags,
      "--expose-gc",
      "--heap-growing-percent=10",
      PROBE,
      folder,
      MEBIBYTES,
    ]);
    return (JSON.parse(stdout) as { fullCollections: number }).fullCollections;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

describe("runtime Node flags", function () {
  this.timeout(60_000);

  it("keep decryption free of the full collections seen without them", async () => {
    const without = await fullCollections([]);
    const withFlags = await fullCollections(RUNTIME_NODE_FLAGS);
    assert.ok(without >= 4, `control: ${without} full collections without the flags`);
    assert.ok(withFlags <= 1, `${withFlags} full collections with ${RUNTIME_NODE_FLAGS.join(" ")}`);
  });
});
