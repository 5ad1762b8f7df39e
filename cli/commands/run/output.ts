/**
 * `cleanroom run output`: the sink owner fetches what a run wrote. Trust comes from the statement
 * governance signed, checked with its published key; each output object is downloaded, its
 * SHA-256 (of the ciphertext) compared with the statement's before anything is decrypted, then
 * decrypted with the dataset's key from this profile into the output file, which appears only
 * once complete.
 */
import type { Command } from "commander";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DatasetLocation } from "../../../contracts/src/dataset.js";
import { bindingOf, decryptFile } from "../../../client/format/index.js";
import { discard, temporaryFor } from "../../../client/temporary.js";
import { verifyRunStatement, type StatementContent } from "../../../client/statements.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import type { Profile } from "../../profile/store.js";
import { UserError } from "../../errors.js";
import {
  datasetDek,
  mapped,
  openLocation,
  ownedDataset,
  withCredentialOptions,
  type CredentialOptions,
} from "../dataset/common.js";
import { hinted } from "../query/hints.js";

export interface RunOutputOptions extends CredentialOptions {
  out: string;
}

export interface OutputObject {
  datasetId: string;
  object: string;
  sha256: string;
  /** Where its plaintext was written. */
  path: string;
  /** Ciphertext bytes downloaded. */
  bytes: number;
}

export interface RunOutput {
  contractId: string;
  runId: string;
  /** The statement verified with governance's statement key. */
  statementTransactionId: string;
  objects: OutputObject[];
}

type Digest = StatementContent["outputDigests"][number];

/** The signed statement's content, or a one-line error when it does not verify. */
async function verifiedStatement(ctx: Context, contractId: string, runId: string) {
  const client = ctx.governance();
  try {
    const signed = await client.app.runStatement(contractId, runId);
    const check = verifyRunStatement(signed, await client.app.statementKey(), {
      contractId,
      runId,
    });
    if (!check.verified || !check.content) {
      throw new UserError(
        `the statement of run ${runId} does not verify: ${check.problem}`,
        "do not trust this run's output; tell the consortium's operator",
        "StatementInvalid",
      );
    }
    return { content: check.content, transactionId: signed.transactionId };
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}

/** An object name from the statement as a safe relative path (no `..`, no empty parts). */
function safeParts(object: string): string[] {
  const parts = object.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new UserError(
      `the statement names an output object with an unsafe name ${JSON.stringify(object)}`,
      "tell the consortium's operator",
      "InvalidStatement",
    );
  }
  return parts;
}

/**
 * Downloads `digest.object` into `temporary`, hashing the ciphertext as it arrives; a mismatch
 * with the statement is an error (and the caller removes the file).
 */
async function download(
  location: DatasetLocation,
  options: CredentialOptions,
  digest: Digest,
  temporary: string,
  onBytes: (bytes: number) => void,
): Promise<number> {
  const storage = openLocation(location, options);
  const hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
  await mapped(async () =>
    pipeline(await storage.get(digest.object), tap, createWriteStream(temporary, { flags: "wx" })),
  );
  const actual = hash.digest("hex");
  if (actual !== digest.sha256) {
    throw new UserError(
      `output ${digest.datasetId}/${digest.object} does not match the signed statement (its SHA-256 is ${actual}, the statement says ${digest.sha256}): nothing was written`,
      "the stored output was changed or replaced after the run: do not use it; tell the consortium's operator",
      "DigestMismatch",
    );
  }
  return bytes;
}

/** The output dataset's key file: only its owner has one. */
function sinkKey(ctx: Context, profile: Profile, contractId: string, datasetId: string) {
  try {
    return ownedDataset(ctx, profile, contractId, datasetId);
  } catch (error) {
    if (!(error instanceof UserError) || error.code !== "NotOwner") throw error;
    throw new UserError(
      error.message,
      `only the owner of output dataset ${datasetId} can read this run's output: use its profile`,
      "NotOwner",
    );
  }
}

export async function runOutput(
  ctx: Context,
  contractId: string,
  runId: string,
  options: RunOutputOptions,
): Promise<RunOutput> {
  const profile = ctx.profile();
  const { content, transactionId } = await verifiedStatement(ctx, contractId, runId);
  const digests = content.outputDigests;
  if (digests.length === 0) {
    throw new UserError(`run ${runId} wrote no output`, "see `cleanroom run logs`", "NoOutput");
  }
  // One object: --out is the file. Several: --out is a folder, each under its object name.
  const targets = digests.map((d) =>
    digests.length === 1 ? options.out : join(options.out, ...safeParts(d.object)),
  );
  // Each output dataset's key once, before anything is downloaded.
  const sinks = new Map<string, { key: ReturnType<typeof sinkKey>; dek: Uint8Array }>();
  for (const datasetId of new Set(digests.map((d) => d.datasetId))) {
    const key = sinkKey(ctx, profile, contractId, datasetId);
    sinks.set(datasetId, { key, dek: await datasetDek(key) });
  }
  const objects: OutputObject[] = [];
  for (const [i, digest] of digests.entries()) {
    const { key, dek } = sinks.get(digest.datasetId)!;
    const target = targets[i]!;
    const temporary = await temporaryFor(target);
    const progress = ctx.out.progress({ label: `download ${digest.object}`, unit: "bytes" });
    try {
      const bytes = await download(
        key.document["location"] as DatasetLocation,
        options,
        digest,
        temporary,
        (done) => progress.update(done),
      );
      // Verified ciphertext only: decryptFile writes the plaintext atomically, or nothing.
      await mapped(() =>
        decryptFile(dek, temporary, target, {
          binding: bindingOf(contractId, digest.datasetId),
        }),
      );
      objects.push({ ...digest, path: target, bytes });
    } finally {
      progress.done();
      await discard(temporary);
    }
  }
  const view: RunOutput = { contractId, runId, statementTransactionId: transactionId, objects };
  ctx.out.result(
    view,
    [
      `Verified run ${runId}'s statement (transaction ${transactionId}) and its output digests.`,
      ...objects.map(
        (o) => `Wrote ${o.path} (from ${o.datasetId}/${o.object}, sha256 ${o.sha256})`,
      ),
    ].join("\n"),
  );
  return view;
}

export function runOutputCommand(): Command {
  return withCredentialOptions(
    defineCommand("output", {
      summary: "download, verify and decrypt a completed run's output",
      description: `As the owner of the run's output dataset: fetches the statement governance
        signed when the run completed and verifies it with governance's published statement key;
        downloads each output object it names from the dataset's storage and checks its SHA-256
        against the statement before decrypting anything; then decrypts it with the dataset's
        key from your profile into --out (a file; a folder when the run wrote several objects).
        The file appears only once verified and complete: a changed or replaced object
        (DigestMismatch), a wrong key or a corrupted file leaves nothing behind.

        Storage credentials come from flags or the environment, as for \`dataset download\`.`,
      examples: [
        "cleanroom run output analytics 3 --out overlap.csv",
        "cleanroom run output analytics 3 --out overlap.csv --json",
      ],
    }),
  )
    .argument("<contractId>", "the contract")
    .argument("<runId>", "a completed run")
    .requiredOption("--out <path>", "the plaintext output file (a folder for several objects)")
    .action(
      async (contractId: string, runId: string, options: RunOutputOptions, command: Command) => {
        await runOutput(contextOf(command), contractId, runId, options);
      },
    );
}
