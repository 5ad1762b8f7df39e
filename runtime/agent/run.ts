// One run, from a claim to its reported outcome: obtain the keys (and access grants for cloud
// storage), stream and decrypt each input into the engine, lock the engine down, run the approved
// query, encrypt the output for the sink's owner and write it atomically, then complete with the
// ciphertext's digest — or fail with a reason that carries no data values or secrets. Every key
// and grant is wiped when the run ends, whatever happens.
import { createHash } from "node:crypto";
import { pipeline, Readable } from "node:stream";

import type { OutputDigest } from "../../contracts/src/attestation.js";
import type { DatasetRecord } from "../../contracts/src/dataset.js";
import { bindingOf, decryptStream, encryptStream } from "../../client/format/index.js";
import {
  openStorage,
  type StorageBackend,
  type StorageOptions,
} from "../../client/storage/index.js";
import { QueryEngine } from "../engine/index.js";
import type { EngineInput, EngineLimits, InputFile } from "../engine/index.js";
import { failureOf, RunError } from "./errors.js";
import type { ClaimedRun, RuntimeGovernance } from "./governance.js";
import type { RunKey } from "./runkey.js";
import {
  checkGrantExpiry,
  grantSecretId,
  grantStorageCredentials,
  needsGrant,
  selectPartitions,
} from "./storage.js";
import { isTransportFailure } from "./transport.js";
import type { Logger } from "./workspace.js";

export interface RunContext {
  governance: RuntimeGovernance;
  engine?: EngineLimits;
  storage?: StorageOptions;
  /** When set, the run obtains an OIDC token for this audience before reading its inputs. */
  tokenAudience?: string;
  log: Logger;
  /** Told each phase as it starts (for the status file). */
  onPhase?: (phase: string) => void;
}

export type RunOutcome =
  | { state: "Completed"; outputDigests: OutputDigest[] }
  | { state: "Failed"; code: string; reason: string };

/** The object a run writes in its output dataset's location. */
export const outputObject = (runId: string): string => `runs/${runId}/output.csv`;

/** Keys and grant values of one run, wiped together. */
class RunSecrets {
  readonly deks = new Map<string, Buffer>();
  readonly storages = new Map<string, StorageBackend>();
  private readonly held: Buffer[] = [];

  hold(secret: Buffer): Buffer {
    this.held.push(secret);
    return secret;
  }

  wipe(): void {
    for (const secret of this.held) secret.fill(0);
    this.deks.clear();
    this.storages.clear();
  }
}

class Reporter {
  private sequence = Date.now();
  constructor(
    private readonly context: RunContext,
    private readonly key: RunKey,
    private readonly runId: string,
  ) {}

  async phase(
    phase: string,
    counters: { rowCounts?: Record<string, number>; durationsMs?: Record<string, number> } = {},
  ) {
    this.context.onPhase?.(phase);
    this.context.log("info", "run.phase", { runId: this.runId, phase, ...counters });
    // Sequences grow across restarts too: a resumed run starts from the clock again.
    this.sequence = Math.max(this.sequence + 1, Date.now());
    await this.context.governance.progress(this.key, this.runId, {
      sequence: this.sequence,
      phase,
      ...counters,
    });
  }
}

function datasetOf(claim: ClaimedRun, datasetId: string): DatasetRecord & { role: string } {
  const record = claim.datasets.find((d) => d.datasetId === datasetId);
  if (!record) {
    throw new RunError("DatasetNotFound", `Dataset ${datasetId} of the query is not published.`);
  }
  return record;
}

/** DEKs of every dataset of the run, and storage for each (with its owner's grant if needed). */
async function obtainKeys(
  context: RunContext,
  key: RunKey,
  claim: ClaimedRun,
  secrets: RunSecrets,
): Promise<void> {
  const { governance } = context;
  for (const dataset of claim.datasets) {
    const dek = secrets.hold(await governance.datasetKey(key, claim.runId, dataset.datasetId));
    secrets.deks.set(dataset.datasetId, dek);
    const location = dataset.document.location;
    if (!needsGrant(location)) {
      secrets.storages.set(
        dataset.datasetId,
        openStorage(location, { kind: "none" }, context.storage),
      );
      continue;
    }
    const access = dataset.role === "output" ? "write" : "read";
    const secretId = grantSecretId(dataset.owner, dataset.datasetId, access);
    const grant = await governance.secret(key, claim.runId, secretId);
    secrets.hold(grant.value);
    checkGrantExpiry(grant.expiresAt, dataset.datasetId);
    const credentials = grantStorageCredentials(
      location,
      grant.value.toString("utf8"),
      dataset.datasetId,
    );
    secrets.storages.set(dataset.datasetId, openStorage(location, credentials, context.storage));
  }
  if (context.tokenAudience !== undefined) {
    // Proves the token can be had before any data is read; storage reached with federated
    // identity would present it.
    await governance.token(key, claim.runId, context.tokenAudience);
  }
}

/** The input's objects (partitions selected by the run's parameters) as decrypting streams. */
async function inputFiles(
  claim: ClaimedRun,
  dataset: DatasetRecord,
  storage: StorageBackend,
  dek: Buffer,
): Promise<InputFile[]> {
  const objects = selectPartitions(
    await storage.list(),
    dataset.document.partitioning?.by ?? [],
    claim.parameters,
  );
  const binding = bindingOf(claim.contractId, dataset.datasetId);
  return objects.map((object) => ({
    name: object.name,
    partition: object.partition,
    open: async () => {
      const source = await storage.get(object.name);
      // pipeline: a storage failure destroys the plaintext stream with that error.
      return pipeline(source, decryptStream(dek, { binding }), () => undefined);
    },
  }));
}

/** SHA-256 of the bytes passing through, as they are uploaded. */
async function* hashing(source: AsyncIterable<Uint8Array>, hash: ReturnType<typeof createHash>) {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

async function execute(
  context: RunContext,
  key: RunKey,
  claim: ClaimedRun,
  secrets: RunSecrets,
): Promise<OutputDigest[]> {
  const { runId, contractId } = claim;
  const document = claim.query.document;
  const report = new Reporter(context, key, runId);
  const durationsMs: Record<string, number> = {};
  const rowCounts: Record<string, number> = {};
  let started = Date.now();
  const lap = (phase: string) => {
    const now = Date.now();
    durationsMs[phase] = now - started;
    started = now;
  };

  await report.phase("keys");
  await obtainKeys(context, key, claim, secrets);
  lap("keys");

  await report.phase("load");
  const engine = await QueryEngine.create(context.engine ?? {});
  try {
    const inputs: EngineInput[] = [];
    for (const input of document.inputs) {
      const dataset = datasetOf(claim, input.datasetId);
      inputs.push({
        datasetId: input.datasetId,
        view: input.view,
        format: dataset.document.format,
        schema: dataset.document.schema,
        allowedFields: dataset.document.allowedFields,
        files: await inputFiles(
          claim,
          dataset,
          secrets.storages.get(input.datasetId)!,
          secrets.deks.get(input.datasetId)!,
        ),
      });
    }
    const loaded = await engine.loadAll(inputs);
    for (const [i, input] of inputs.entries()) rowCounts[`input:${input.datasetId}`] = loaded[i]!;
    await engine.lockDown();
    lap("load");

    await report.phase("query", { rowCounts, durationsMs });
    const output = datasetOf(claim, document.output.datasetId);
    const result = await engine.run(document, claim.parameters, {
      datasetId: output.datasetId,
      schema: output.document.schema,
      allowedFields: output.document.allowedFields,
    });
    rowCounts["output"] = result.report.rowCounts["output"] ?? result.rows;
    lap("query");
    // The engine's split of the phase: the approved SQL, then thresholds and output projection.
    const queryMs = durationsMs["query"]!;
    const thresholdsMs = Math.min(
      Math.round(result.report.durationsMs["thresholds"] ?? 0),
      queryMs,
    );
    durationsMs["query"] = queryMs - thresholdsMs;
    durationsMs["thresholds"] = thresholdsMs;

    await report.phase("write", { rowCounts, durationsMs });
    const hash = createHash("sha256");
    const encrypted = pipeline(
      Readable.from(result.csv()),
      encryptStream(secrets.deks.get(output.datasetId)!, {
        binding: bindingOf(contractId, output.datasetId),
      }),
      () => undefined,
    );
    const object = outputObject(runId);
    const sink = secrets.storages.get(output.datasetId)!;
    // A local sink folder is the runtime's own to make; cloud containers are the owner's
    // (`dataset grant --write` creates them), and a write-only grant could not.
    if (!needsGrant(output.document.location)) await sink.create();
    await sink.put(object, hashing(encrypted, hash));
    lap("write");

    const outputDigests = [{ datasetId: output.datasetId, object, sha256: hash.digest("hex") }];
    await context.governance.complete(key, runId, { rowCounts, durationsMs, outputDigests });
    return outputDigests;
  } finally {
    await engine.close();
  }
}

/**
 * Executes a claimed run and reports its outcome to governance. Throws only when the outcome
 * could not be reported because governance is unreachable: the caller keeps the run to resume.
 */
export async function performRun(
  context: RunContext,
  key: RunKey,
  claim: ClaimedRun,
): Promise<RunOutcome> {
  const secrets = new RunSecrets();
  try {
    const outputDigests = await execute(context, key, claim, secrets);
    context.log("info", "run.completed", { runId: claim.runId, outputDigests });
    return { state: "Completed", outputDigests };
  } catch (error) {
    if (isTransportFailure(error)) throw error;
    const { code, reason } = failureOf(error);
    context.log("warn", "run.failed", { runId: claim.runId, code, reason });
    try {
      await context.governance.fail(key, claim.runId, reason);
    } catch (failError) {
      // Unreachable: report later. Refused (e.g. the run already finished): nothing to report.
      if (isTransportFailure(failError)) throw failError;
      context.log("warn", "run.fail.refused", { runId: claim.runId, ...failureOf(failError) });
    }
    return { state: "Failed", code, reason };
  } finally {
    secrets.wipe();
  }
}
