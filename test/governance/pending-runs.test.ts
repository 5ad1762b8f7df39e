/**
 * Discovery of runs by clean rooms: `GET /app/contracts/{id}/pending-runs` lists, to anyone, the
 * contract's runs still Requested — oldest first, a page at a time — and a run leaves the list
 * once it is claimed.
 */
import assert from "node:assert/strict";
import type { Identity } from "../support/client.js";
import { idOf } from "../support/gov.js";
import { startConsortium, type Consortium } from "./consortium.js";
import { MEASUREMENT, claimedRun, kekOf, publishQuery, requestedRun } from "./run-fixture.js";

const CONTRACT = "discovery";

interface PendingPage {
  value: { runId: string; queryId: string; queryVersion: string; requestedAt: string }[];
  nextLink?: string;
}

describe("governance app: pending runs for clean rooms", function () {
  let c: Consortium;
  let owner: Identity;

  const pending = async (query = ""): Promise<PendingPage> => {
    const reply = await c.call(undefined, `/app/contracts/${CONTRACT}/pending-runs${query}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json<PendingPage>();
  };

  before(async function () {
    this.timeout(60_000);
    c = await startConsortium({ users: 1 });
    owner = c.users[0]!;
    const document = {
      participants: [{ id: idOf(owner.cert), kind: "user", name: "northwind" }],
      policy: { measurements: [MEASUREMENT], allowVirtual: true },
      consentDefaults: { execution: true, logging: false, telemetry: false },
    };
    const draft = await c.call(c.members[0], `/app/contracts/${CONTRACT}`, {
      method: "PUT",
      body: { document },
    });
    assert.equal(draft.status, 201, draft.text);
    const version = String(draft.headers["x-ms-ccf-transaction-id"]);
    await c.pass([{ name: "set_contract", args: { contractId: CONTRACT, version, document } }]);
    await publishQuery(c.call, owner, CONTRACT, await kekOf(c.call, c.members[0]!));
  });
  after(async () => c?.stop());

  it("lists requested runs, oldest first, to an anonymous caller, and drops claimed ones", async () => {
    assert.deepEqual((await pending()).value, []);
    const first = await requestedRun(c.call, owner, CONTRACT);
    const claimed = await claimedRun(c.call, owner, CONTRACT);
    const second = await requestedRun(c.call, owner, CONTRACT);

    const page = await pending();
    assert.deepEqual(
      page.value.map((run) => run.runId),
      [first.runId, second.runId],
    );
    assert.equal(page.nextLink, undefined);
    const [run] = page.value;
    assert.equal(run!.queryId, "q");
    assert.equal(run!.queryVersion, "1");
    assert.ok(!Number.isNaN(Date.parse(run!.requestedAt)));
    assert.deepEqual(Object.keys(run!).sort(), ["queryId", "queryVersion", "requestedAt", "runId"]);
    assert.ok(!page.value.some((r) => r.runId === claimed.runId));
  });

  it("pages with start and limit, and links the next page", async () => {
    const all = (await pending()).value.map((run) => run.runId);
    assert.ok(all.length >= 2);
    const head = await pending("?limit=1");
    assert.deepEqual(
      head.value.map((run) => run.runId),
      all.slice(0, 1),
    );
    assert.equal(head.nextLink, `/app/contracts/${CONTRACT}/pending-runs?start=1&limit=1`);
    const next = await c.call(undefined, head.nextLink!);
    assert.deepEqual(
      next.json<PendingPage>().value.map((run) => run.runId),
      all.slice(1, 2),
    );
  });

  it("refuses an unknown contract and bad paging", async () => {
    const unknown = await c.call(undefined, "/app/contracts/nope/pending-runs");
    assert.equal(unknown.status, 404, unknown.text);
    const bad = await c.call(undefined, `/app/contracts/${CONTRACT}/pending-runs?limit=0`);
    assert.equal(bad.status, 400, bad.text);
  });
});
