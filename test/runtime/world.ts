/**
 * A consortium for runtime suites, set up the way personas set one up: a contract whose clean-room
 * policy allows this build's measurement (virtual), owners publishing datasets encrypted with
 * client/format (DEKs wrapped to governance's KEK) in a local folder, Azurite or the S3 server,
 * queries approved by their owners, runs requested — and real runtimes started on it.
 */
import assert from "node:assert/strict";
import { constants, publicEncrypt, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type {
  DatasetDocument,
  DatasetField,
  DatasetLocation,
} from "../../contracts/src/dataset.js";
import type { QueryDocument } from "../../contracts/src/query.js";
import type { RunRecord } from "../../contracts/src/run.js";
import { encryptBytes } from "../../client/format/index.js";
import { connectGovernance } from "../../client/governance/index.js";
import type { StorageBackend } from "../../client/storage/index.js";
import {
  BUILD_ROOT,
  measureRuntime,
  startRuntime,
  type LogEntry,
  type RuntimeHandle,
  type RuntimeOptions,
} from "../../runtime/index.js";
import type { SandboxOptions } from "../../sandbox/index.js";
import { startConsortium, type Consortium } from "../governance/consortium.js";
import type { Identity } from "../support/client.js";
import { idOf } from "../support/gov.js";

export const CONTRACT = "collab";
const TX = "x-ms-ccf-transaction-id";

export type { RunRecord };

export interface Runtime {
  handle: RuntimeHandle;
  logs: LogEntry[];
  workspace: string;
}

export interface World {
  c: Consortium;
  /** user0, user1: the two owners. */
  owners: Identity[];
  measurement: string;
  folder: string;
  deks: Map<string, Buffer>;
  publish(
    owner: Identity,
    datasetId: string,
    spec: {
      location: DatasetLocation;
      storage: StorageBackend;
      schema: DatasetField[];
      allowedFields?: string[];
      partitioning?: { by: string[] };
      format?: "csv" | "parquet";
      files?: Record<string, string | Uint8Array>;
    },
  ): Promise<void>;
  approveQuery(queryId: string, document: QueryDocument, approvers: Identity[]): Promise<void>;
  requestRun(queryId: string, parameters?: Record<string, unknown>, as?: Identity): Promise<string>;
  run(runId: string): Promise<RunRecord>;
  /** Polls until the run is Completed or Failed. */
  finished(runId: string): Promise<RunRecord>;
  putGrant(
    owner: Identity,
    name: string,
    grant: { value: string; kind: "azure-sas" | "s3-credentials"; expiresAt: string },
  ): Promise<void>;
  deleteGrant(owner: Identity, name: string): Promise<void>;
  startRuntime(options?: Partial<RuntimeOptions>): Runtime;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Resolves once `logs` has an entry matching `match` (polling; the suite's timeout bounds it). */
export async function logged(
  logs: LogEntry[],
  match: (entry: LogEntry) => boolean,
): Promise<LogEntry> {
  for (;;) {
    const found = logs.find(match);
    if (found) return found;
    await sleep(20);
  }
}

/** What a suite may change in the contract: its clean-room policy, its token policy. */
export interface ContractSettings {
  policy?: { measurements: string[]; hostData?: string[]; allowVirtual: boolean };
  tokenPolicy?: { audiences: string[]; maxLifetimeSeconds?: number };
}

export async function startWorld(
  options: SandboxOptions = {},
  settings: ContractSettings = {},
): Promise<World> {
  const c = await startConsortium({ ...options, users: 2 });
  const owners = c.users.slice(0, 2);
  const measurement = measureRuntime(BUILD_ROOT, { platform: "virtual" });
  const document = {
    participants: owners.map((o, i) => ({ id: idOf(o.cert), kind: "user", name: `owner${i}` })),
    policy: settings.policy ?? { measurements: [measurement], allowVirtual: true },
    consentDefaults: { execution: true, logging: false, telemetry: false },
    ...(settings.tokenPolicy ? { tokenPolicy: settings.tokenPolicy } : {}),
  };
  const draft = await c.call(c.members[0], `/app/contracts/${CONTRACT}`, {
    method: "PUT",
    body: { document },
  });
  assert.equal(draft.status, 201, draft.text);
  await c.pass([
    {
      name: "set_contract",
      args: { contractId: CONTRACT, version: String(draft.headers[TX]), document },
    },
  ]);
  // The runtime discovers runs here; a governance build without the route cannot serve it.
  const discovery = await c.call(undefined, `/app/contracts/${CONTRACT}/pending-runs`);
  if (discovery.status !== 200) {
    await c.stop();
    assert.fail(
      "this governance build has no pending-runs route: rebuild governance/build or set GOVERNANCE_BUILD",
    );
  }
  const folder = mkdtempSync(join(tmpdir(), "cleanroom-runtime-"));
  const kekReply = await c.call(c.members[0], "/app/keys", { method: "POST" });
  assert.ok(kekReply.status === 201 || kekReply.status === 200, kekReply.text);
  const kek = kekReply.json<{ kekId: string; publicKeyPem: string }>();
  const deks = new Map<string, Buffer>();
  const runtimes: Runtime[] = [];
  const base = `/app/contracts/${CONTRACT}`;

  const appClient = (owner: Identity) =>
    connectGovernance({
      url: c.sandbox.url,
      serviceCertPem: c.sandbox.serviceCertPem,
      clientCertPem: owner.cert,
      clientKeyPem: owner.key,
    });

  const world: World = {
    c,
    owners,
    measurement,
    folder,
    deks,
    async publish(owner, datasetId, spec) {
      const dek = randomBytes(32);
      deks.set(datasetId, dek);
      await spec.storage.create();
      for (const [name, content] of Object.entries(spec.files ?? {})) {
        const sealed = await encryptBytes(dek, Buffer.from(content), {
          binding: `${CONTRACT}/${datasetId}`,
        });
        await spec.storage.put(name, Readable.from([sealed]));
      }
      const wrappedDek = publicEncrypt(
        { key: kek.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        dek,
      ).toString("base64");
      const doc: DatasetDocument = {
        schema: spec.schema,
        allowedFields: spec.allowedFields ?? spec.schema.map((f) => f.name),
        location: spec.location,
        format: spec.format ?? "csv",
        encryption: { wrappedDek, kekId: kek.kekId },
        ...(spec.partitioning ? { partitioning: spec.partitioning } : {}),
      };
      const reply = await c.call(owner, `${base}/datasets/${datasetId}`, {
        method: "PUT",
        body: { document: doc },
      });
      assert.equal(reply.status, 201, reply.text);
    },
    async approveQuery(queryId, doc, approvers) {
      const proposed = await c.call(approvers[0], `${base}/queries/${queryId}`, {
        method: "PUT",
        body: { document: doc },
      });
      assert.equal(proposed.status, 201, proposed.text);
      for (const approver of approvers) {
        const reply = await c.call(approver, `${base}/queries/${queryId}/approve`, {
          body: { version: "1" },
        });
        assert.equal(reply.status, 200, reply.text);
      }
    },
    async requestRun(queryId, parameters = {}, as = owners[0]!) {
      const reply = await c.call(as, `${base}/runs`, { body: { queryId, parameters } });
      assert.equal(reply.status, 201, reply.text);
      return reply.json<{ runId: string }>().runId;
    },
    async run(runId) {
      const reply = await c.call(owners[0], `${base}/runs/${runId}`);
      assert.equal(reply.status, 200, reply.text);
      return reply.json<RunRecord>();
    },
    async finished(runId) {
      for (;;) {
        const run = await world.run(runId);
        if (run.state === "Completed" || run.state === "Failed") return run;
        await sleep(50);
      }
    },
    async putGrant(owner, name, grant) {
      const client = appClient(owner);
      try {
        const existing = await client.app.listAccessGrants(CONTRACT);
        const version = existing.value.find((g) => g.name === name)?.version;
        await client.app.putAccessGrant(CONTRACT, name, {
          ...grant,
          ...(version ? { version } : {}),
        });
      } finally {
        client.close();
      }
    },
    async deleteGrant(owner, name) {
      const client = appClient(owner);
      try {
        await client.app.deleteAccessGrant(CONTRACT, name);
      } finally {
        client.close();
      }
    },
    startRuntime(options = {}) {
      const logs: LogEntry[] = [];
      const workspace = options.workspace ?? mkdtempSync(join(folder, "runtime-"));
      const handle = startRuntime({
        endpoint: c.sandbox.url,
        serviceCertPem: c.sandbox.serviceCertPem,
        contractId: CONTRACT,
        workspace,
        platform: "virtual",
        pollMs: 50,
        maxBackoffMs: 200,
        storage: { maxAttempts: 1 },
        onLog: (entry) => logs.push(entry),
        ...options,
      });
      const runtime = { handle, logs, workspace };
      runtimes.push(runtime);
      return runtime;
    },
    async stop() {
      for (const runtime of runtimes) await runtime.handle.stop();
      await c.stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
  return world;
}
