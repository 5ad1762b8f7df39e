// Fixtures for the engine's suites (named .test.ts so that the runtime's measured build leaves it
// out): CSV text and generated Parquet files handed over the way the agent hands over decrypted
// files (a stream opened on demand).
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";

import { DuckDBInstance } from "@duckdb/node-api";

import type { DatasetField } from "../../contracts/src/dataset.js";
import { EngineError, QueryEngine } from "./engine.js";
import type { EngineInput, EngineOutput, InputFile, QuerySpec } from "./types.js";

export function csvFile(text: string, name = "part-0.csv", partition = {}): InputFile {
  return { name, partition, open: async () => Readable.from([Buffer.from(text)]) };
}

export function fileOnDisk(path: string, name: string, partition = {}): InputFile {
  return { name, partition, open: async () => createReadStream(path) };
}

export const PEOPLE_SCHEMA: DatasetField[] = [
  { name: "id", type: "integer" },
  { name: "email", type: "string" },
  { name: "city", type: "string" },
  { name: "age", type: "integer" },
];

export const PEOPLE_CSV = [
  "id,email,city,age",
  "1,alice@x.com,Paris,34",
  "2,bob@x.com,Paris,41",
  "3,carol@x.com,Lyon,29",
  "4,dan@x.com,Paris,52",
  "5,erin@x.com,Nice,38",
].join("\n");

export function people(files: InputFile[] = [csvFile(PEOPLE_CSV)]): EngineInput {
  return {
    datasetId: "people",
    view: "people",
    format: "csv",
    schema: PEOPLE_SCHEMA,
    allowedFields: ["id", "city", "age"],
    files,
  };
}

export function outputOf(
  fields: DatasetField[],
  allowed = fields.map((f) => f.name),
): EngineOutput {
  return { datasetId: "result", schema: fields, allowedFields: allowed };
}

export function sql(...statements: string[]): QuerySpec {
  return { sql: statements.map((statement) => ({ statement })) };
}

/** A fresh engine with `inputs` loaded and locked down. */
export async function lockedEngine(...inputs: EngineInput[]): Promise<QueryEngine> {
  const engine = await QueryEngine.create({ threads: 2 });
  for (const input of inputs) await engine.load(input);
  await engine.lockDown();
  return engine;
}

export async function text(iterable: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const part of iterable) parts.push(part);
  return Buffer.concat(parts).toString("utf8");
}

/** The EngineError a promise rejects with (fails if it resolves or throws something else). */
export async function engineError(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error("expected an EngineError");
}

/** A scratch directory for files tests write (test data, not a run's plaintext). */
export async function scratch(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "engine-test-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Writes the result of `select` to `path` with DuckDB itself (a separate, unlocked instance). */
export async function writeWithDuckDB(select: string, path: string, format: "csv" | "parquet") {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const options = format === "csv" ? "FORMAT csv, HEADER true" : "FORMAT parquet";
    await connection.run(`COPY (${select}) TO '${path}' (${options})`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
