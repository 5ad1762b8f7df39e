/**
 * The runtime on the SEV-SNP path: its evidence comes from an attestation sidecar (here a local
 * HTTP server answering with generated, correctly signed SNP reports), governance verifies it
 * against a contract that does not allow virtual attestation, and every run obtains an OIDC token
 * from governance's issuer before it reads data.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { DatasetLocation } from "../../contracts/src/dataset.js";
import { openStorage } from "../../client/storage/index.js";
import { generateSnpEvidence } from "../support/snp-evidence.js";
import { startSnpSidecar, type Sidecar } from "./sidecar.js";
import { CONTRACT, logged, startWorld, type World } from "./world.js";

const MEASUREMENT = "5a".repeat(48);
const HOST_DATA = "c3".repeat(32);
const AUDIENCE = "sts.amazonaws.com";

describe("runtime: SEV-SNP evidence from a sidecar, and OIDC tokens", function () {
  let world: World;
  let snp: Sidecar;

  before(async function () {
    this.timeout(60_000);
    const trust = (await generateSnpEvidence({})).trust;
    snp = await startSnpSidecar({ measurement: MEASUREMENT, hostData: HOST_DATA });
    world = await startWorld(
      { snpTrust: trust },
      {
        policy: { measurements: [MEASUREMENT], hostData: [HOST_DATA], allowVirtual: false },
        tokenPolicy: { audiences: [AUDIENCE], maxLifetimeSeconds: 600 },
      },
    );
    const c = world.c;
    await c.pass([{ name: "enable_oidc_issuer" }]);
    await c.pass([
      { name: "set_oidc_issuer_url", args: { issuerUrl: "https://issuer.example.com/cr" } },
    ]);
    const key = await c.call(c.members[0], "/app/oidc/signing-keys", { method: "POST" });
    assert.equal(key.status, 201, key.text);

    const owner = world.owners[0]!;
    const input: DatasetLocation = { kind: "local", path: join(world.folder, "visits") };
    await world.publish(owner, "visits", {
      location: input,
      storage: openStorage(input),
      schema: [{ name: "page", type: "string" }],
      files: { "visits.csv": "page\n/a\n/b\n/a\n" },
    });
    const output: DatasetLocation = { kind: "local", path: join(world.folder, "pages") };
    await world.publish(owner, "pages", {
      location: output,
      storage: openStorage(output),
      schema: [
        { name: "page", type: "string" },
        { name: "n", type: "long" },
      ],
    });
    await world.approveQuery(
      "per-page",
      {
        sql: [{ statement: "SELECT page, COUNT(*) AS n FROM visits GROUP BY page" }],
        inputs: [{ datasetId: "visits", view: "visits" }],
        output: { datasetId: "pages" },
      },
      [owner],
    );
  });
  after(async () => {
    await world?.stop();
    await snp?.close();
  });

  it("claims with SNP evidence, obtains a token for the run, and completes", async () => {
    const runtime = world.startRuntime({
      platform: "snp",
      snpSidecar: snp.url,
      tokenAudience: AUDIENCE,
    });
    const runId = await world.requestRun("per-page");
    const run = await world.finished(runId);
    assert.equal(run.state, "Completed", run.failure?.reason);
    const claim = run.claim as { platform: string; measurement: string; hostData: string };
    assert.deepEqual(
      [claim.platform, claim.measurement, claim.hostData],
      ["snp", MEASUREMENT, HOST_DATA],
    );
    const events = await world.c.call(
      world.owners[0],
      `/app/contracts/${CONTRACT}/events?scope=oidc&limit=500`,
    );
    assert.equal(events.status, 200, events.text);
    const issued = events
      .json<{ value: { type: string; details: Record<string, unknown> }[] }>()
      .value.filter((e) => e.type === "oidc.token.issued" && e.details["runId"] === runId);
    assert.equal(issued.length, 1);
    assert.equal(issued[0]!.details["aud"], AUDIENCE);
    await runtime.handle.stop();
  });

  it("fails the run when the token it needs is refused", async () => {
    const runtime = world.startRuntime({
      platform: "snp",
      snpSidecar: snp.url,
      tokenAudience: "api://not-allowed",
    });
    const run = await world.finished(await world.requestRun("per-page"));
    assert.equal(run.state, "Failed");
    assert.match(run.failure!.reason, /^AudienceNotAllowed: /);
    await runtime.handle.stop();
  });

  it("cannot claim with virtual evidence where the contract requires SEV-SNP", async () => {
    const runtime = world.startRuntime();
    const runId = await world.requestRun("per-page");
    const refused = await logged(
      runtime.logs,
      (e) => e.event === "run.claim.refused" && e["runId"] === runId,
    );
    assert.equal(refused["code"], "VirtualAttestationNotAllowed");
    assert.equal((await world.run(runId)).state, "Requested");
    await runtime.handle.stop();
  });
});
