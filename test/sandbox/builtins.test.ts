/**
 * Built-in endpoints (`/app/commit`, `/app/tx`, `/app/api`, `/node/*`), historical queries and
 * the consensus functions, as a CCF client sees them.
 */
import assert from "node:assert/strict";
import { startFixture, type FixtureSandbox } from "../support/fixture.js";

const TX_HEADER = "x-ms-ccf-transaction-id";

describe("sandbox: built-in endpoints and history", function () {
  let f: FixtureSandbox;
  before(async () => {
    f = await startFixture();
  });
  after(async () => f?.stop());

  const get = (path: string, headers?: Record<string, string>) =>
    f.client.request(path, { headers });
  const write = async (key: string, value: string) =>
    String(
      (await f.client.request(`/app/tx?key=${key}&value=${value}`, { method: "POST" })).headers[
        TX_HEADER
      ],
    );

  const seqnoOf = (txid: string) => Number(txid.split(".")[1]);

  it("reports a write Pending, then Committed once a signature covers it", async () => {
    const id = await write("commit", "1");
    const [view, seqno] = id.split(".").map(Number) as [number, number];
    await f.client.waitForCommit(id);
    const commit = (await get("/app/commit")).json<{ transaction_id: string }>().transaction_id;
    // The signature transaction that committed the write comes after it.
    assert.ok(seqnoOf(commit) > seqno);
    assert.equal(Number(commit.split(".")[0]), view);
    assert.deepEqual((await get("/node/commit")).json(), { transaction_id: commit });
  });

  it("holds writes Pending until the next signature", async () => {
    const slow = await startFixture({ signatures: { delayMs: 60_000, txCount: 1_000_000 } });
    try {
      const reply = await slow.client.request("/app/tx?key=p&value=1", { method: "POST" });
      const id = String(reply.headers[TX_HEADER]);
      const status = await slow.client.request(`/app/tx?transaction_id=${id}`);
      assert.equal(status.json<{ status: string }>().status, "Pending");
      const historical = await slow.client.request("/app/historical/p", {
        headers: { [TX_HEADER]: id },
      });
      assert.equal(historical.status, 404);
      const receipt = await slow.client.request(`/app/receipt?transaction_id=${id}`);
      assert.equal(receipt.status, 404);
    } finally {
      await slow.stop();
    }
  });

  it("reports transaction status at /app/tx", async () => {
    const id = await write("status", "1");
    await f.client.waitForCommit(id);
    const [view, seqno] = id.split(".").map(Number) as [number, number];
    const status = async (txid: string) =>
      (await get(`/app/tx?transaction_id=${txid}`)).json<{ status: string }>().status;
    assert.equal(await status(id), "Committed");
    assert.equal(await status(`${view}.${seqno + 1000}`), "Unknown");
    assert.equal(await status(`${view + 5}.${seqno + 1000}`), "Unknown");
    assert.equal(await status(`${view - 1}.${seqno}`), "Invalid");
    const bad = await get("/app/tx?transaction_id=banana");
    assert.equal(bad.status, 400);
  });

  it("serves an OpenAPI document built from app.json and the built-ins", async () => {
    const api = (await get("/app/api")).json<{
      openapi: string;
      paths: Record<string, Record<string, { summary?: string }>>;
    }>();
    assert.match(api.openapi, /^3\./);
    assert.equal(api.paths["/app/echo/{a}/{b}"]?.["get"]?.summary, "Echo the request");
    assert.ok(api.paths["/app/kv/{table}/{key}"]?.["put"]);
    assert.ok(api.paths["/app/commit"]?.["get"]);
    assert.equal(
      api.paths["/app/auth/unknown"],
      undefined,
      "openapi_hidden endpoints are left out",
    );
  });

  it("describes the node and the network", async () => {
    const network = (await get("/node/network")).json<Record<string, unknown>>();
    assert.equal(network["service_status"], "Open");
    assert.equal(network["service_certificate"], f.sandbox.serviceCertPem);
    assert.match(String(network["primary_id"]), /^[0-9a-f]{64}$/);
    const state = (await get("/node/state")).json<Record<string, unknown>>();
    assert.equal(state["state"], "PartOfNetwork");
    assert.equal(state["node_id"], network["primary_id"]);
  });

  it("runs historical endpoints against the state at the requested transaction", async () => {
    const first = await write("h", "old");
    const second = await write("h", "new");
    await f.client.waitForCommit(second);
    const atFirst = await get("/app/historical/h", { [TX_HEADER]: first });
    assert.equal(atFirst.status, 200, atFirst.text);
    assert.deepEqual(atFirst.json(), { transactionId: first, value: "old", hasReceipt: true });
    const atSecond = await get("/app/historical/h", { [TX_HEADER]: second });
    assert.equal(atSecond.json<{ value: string }>().value, "new");

    const missing = await get("/app/historical/h");
    assert.equal(missing.status, 400);
    const malformed = await get("/app/historical/h", { [TX_HEADER]: "x.y" });
    assert.equal(malformed.status, 400);
    const [view, seqno] = second.split(".").map(Number) as [number, number];
    const future = await get("/app/historical/h", { [TX_HEADER]: `${view}.${seqno + 100}` });
    assert.equal(future.status, 404);
  });

  it("returns ranges of historical states and the consensus view of transactions", async () => {
    const a = await write("r", "1");
    await write("r", "2");
    const c = await write("r", "3");
    await f.client.waitForCommit(c);
    const from = Number(a.split(".")[1]);
    const to = Number(c.split(".")[1]);
    const range = (await get(`/app/range?from=${from}&to=${to}&key=r`)).json<
      { transactionId: string; value: string }[]
    >();
    assert.deepEqual(
      range.map((s) => s.value),
      ["1", "2", "3"],
    );
    assert.equal(range[0]!.transactionId, a);
    const [view, seqno] = c.split(".").map(Number) as [number, number];
    const consensus = (await get(`/app/consensus?view=${view}&seqno=${seqno}`)).json<{
      last: { view: number; seqno: number };
      status: string;
      viewOf: number | null;
    }>();
    assert.ok(consensus.last.seqno >= seqno);
    assert.equal(consensus.status, "Committed");
    assert.equal(consensus.viewOf, view);
  });
});
