/**
 * The ledger through the sandbox, as a user meets it: state and transaction ids survive a
 * restart, every acknowledged write survives SIGKILL, a tampered ledger stops the start naming
 * the transaction, a torn last write is cut and reported, and receipts verify with nothing but
 * the service certificate (checked by a verifier that shares no code with the sandbox).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../support/client.js";
import { CLI, exitOf, startSandboxProcess } from "../support/cli.js";
import { FIXTURE_BUNDLE, startFixture } from "../support/fixture.js";
import { verifyReceipt, type ReceiptJson } from "../support/receipt-verifier.js";

const TX_HEADER = "x-ms-ccf-transaction-id";
const execFileAsync = promisify(execFile);

describe("sandbox: durable ledger", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cleanroom-ledger-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const put = async (client: Client, key: string, value: string) => {
    const reply = await client.request(`/app/tx?key=${key}&value=${value}`, { method: "POST" });
    assert.equal(reply.status, 200, reply.text);
    return String(reply.headers[TX_HEADER]);
  };
  const read = async (client: Client, key: string, as: Parameters<Client["request"]>[1]) => {
    const reply = await client.request(`/app/kv/public:tx/${key}`, as);
    return reply.status === 200 ? reply.text : undefined;
  };
  const ledgerFiles = (workspace: string) =>
    readdirSync(join(workspace, "ledger"))
      .filter((name) => name.startsWith("ledger_"))
      .map((name) => join(workspace, "ledger", name))
      .sort();

  it("keeps state and transaction ids across a restart", async () => {
    const workspace = join(dir, "ws");
    const first = await startFixture({ workspace });
    const ids = [await put(first.client, "a", "1"), await put(first.client, "b", "2")];
    await first.client.waitForCommit(ids[1]!);
    await first.stop();

    const second = await startFixture({ workspace });
    try {
      assert.equal(await read(second.client, "a", { as: second.user0 }), "1");
      assert.equal(await read(second.client, "b", { as: second.user0 }), "2");
      for (const id of ids) {
        const status = await second.client.request(`/app/tx?transaction_id=${id}`);
        assert.equal(status.json<{ status: string }>().status, "Committed", id);
      }
      const old = await second.client.request("/app/historical/a", {
        headers: { [TX_HEADER]: ids[0]! },
      });
      assert.equal(old.json<{ value: string }>().value, "1");
      const next = await put(second.client, "c", "3");
      assert.ok(Number(next.split(".")[1]) > Number(ids[1]!.split(".")[1]));
      assert.ok(second.logs.some((line) => /ledger: replayed \d+ transactions/.test(line)));
      assert.ok(second.logs.some((line) => line.includes("deployed the given bundle")));
    } finally {
      await second.stop();
    }
  });

  it("keeps every acknowledged write when the process is killed with SIGKILL", async () => {
    const workspace = join(dir, "ws");
    const { child, ready } = await startSandboxProcess([
      "--bundle",
      FIXTURE_BUNDLE,
      "--workspace",
      workspace,
      "--port",
      "0",
    ]);
    const client = new Client(
      ready["url"]!,
      readFileSync(join(workspace, "service_cert.pem"), "utf8"),
    );
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const key = `w${w}-${i}`;
        try {
          const reply = await client.request(`/app/tx?key=${key}&value=${i}`, { method: "POST" });
          if (reply.status === 200) acknowledged.push(key);
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const writers = Array.from({ length: 16 }, (_, w) => writer(w));
    await new Promise((resolve) => setTimeout(resolve, 700));
    child.kill("SIGKILL");
    stop = true;
    await Promise.all(writers);
    await exitOf(child);
    client.close();
    assert.ok(acknowledged.length > 50, `only ${acknowledged.length} writes were acknowledged`);

    const restarted = await startFixture({ workspace });
    try {
      const list = await restarted.client.request("/app/kv/public:tx", { as: restarted.user0 });
      const entries = list.json<{ entries: Record<string, string> }>().entries;
      const missing = acknowledged.filter((key) => entries[key] === undefined);
      assert.deepEqual(missing, []);
    } finally {
      await restarted.stop();
    }
  });

  it("refuses to start on a modified ledger, naming the transaction", async () => {
    const workspace = join(dir, "ws");
    const first = await startFixture({ workspace });
    const id = await put(first.client, "victim", "ORIGINAL-VALUE");
    await put(first.client, "after", "x");
    await first.stop();

    const [file] = ledgerFiles(workspace).filter((f) => readFileSync(f).includes("ORIGINAL-VALUE"));
    const bytes = readFileSync(file!);
    const at = bytes.indexOf("ORIGINAL-VALUE");
    bytes[at] = "X".charCodeAt(0);
    writeFileSync(file!, bytes);

    const cli = await execFileAsync(process.execPath, [
      CLI,
      "sandbox",
      "start",
      "--bundle",
      FIXTURE_BUNDLE,
      "--workspace",
      workspace,
      "--port",
      "0",
    ]).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, new RegExp(`^error: Ledger is corrupt at transaction ${id}`));
    assert.match(cli.stderr, /\nhint: the ledger in .* was modified/);

    await assert.rejects(startFixture({ workspace }), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`Ledger is corrupt at transaction ${id.replace(".", "\\.")}\\b`),
      );
      assert.match(error.message, /Refusing to start/);
      return true;
    });
  });

  it("cuts a torn last write, reports it, and serves what was whole", async () => {
    const workspace = join(dir, "ws");
    const first = await startFixture({ workspace });
    const id = await put(first.client, "kept", "yes");
    await first.client.waitForCommit(id);
    await first.stop();
    const last = ledgerFiles(workspace).at(-1)!;
    appendFileSync(last, Buffer.from([1, 0, 0, 0, 0, 0, 0x40, 0, 2, 3, 4]));

    const second = await startFixture({ workspace });
    try {
      assert.ok(
        second.logs.some((line) => line.includes("dropped an incomplete last write")),
        second.logs.join("\n"),
      );
      assert.equal(await read(second.client, "kept", { as: second.user0 }), "yes");
      const next = await put(second.client, "later", "ok");
      await second.client.waitForCommit(next);
    } finally {
      await second.stop();
    }
  });

  it("gives receipts that verify with only the service certificate, claims included", async () => {
    const f = await startFixture({ workspace: join(dir, "ws") });
    try {
      const reply = await f.client.request("/app/tx?key=r&value=1&claims=1", { method: "POST" });
      const id = String(reply.headers[TX_HEADER]);
      await f.client.waitForCommit(id);
      const receipt = (
        await f.client.request(`/app/receipt?transaction_id=${id}`)
      ).json<ReceiptJson>();
      verifyReceipt(receipt, f.sandbox.serviceCertPem);
      assert.equal(receipt.leaf_components!.claims_digest, "07".repeat(32));
      assert.match(receipt.leaf_components!.commit_evidence, new RegExp(`^ce:${id}:[0-9a-f]{64}$`));

      const tampered = structuredClone(receipt);
      tampered.leaf_components!.claims_digest = "08".repeat(32);
      assert.throws(() => verifyReceipt(tampered, f.sandbox.serviceCertPem));
      const otherService = await startFixture({ workspace: join(dir, "other") });
      try {
        assert.throws(() => verifyReceipt(receipt, otherService.sandbox.serviceCertPem));
      } finally {
        await otherService.stop();
      }

      const historical = await f.client.request("/app/historical/r", {
        headers: { [TX_HEADER]: id },
      });
      assert.equal(historical.json<{ hasReceipt: boolean }>().hasReceipt, true);
    } finally {
      await f.stop();
    }
  });
});
