// The query engine's contract with the agent: what a run hands to DuckDB and what it gets back.
// The agent (runtime/agent/) fetches, decrypts and selects the inputs; the engine loads them
// projected to their allowed fields, locks itself down, runs the approved SQL and shapes the
// output. Nothing here touches governance, storage or keys.
import type { Readable } from "node:stream";

import type { DatasetField } from "../../contracts/src/dataset.js";
import type { QueryDocument } from "../../contracts/src/query.js";

/** One decrypted file of an input, handed over as a plaintext stream (never written to disk). */
export interface InputFile {
  /** The object's name in the dataset's storage, e.g. `date=2026-01-01/part-0.csv`. */
  name: string;
  /** Hive-style partition values parsed from the name (`date=2026-01-01/…` → {date: "2026-01-01"}). */
  partition: Record<string, string>;
  /** Opens the plaintext; called once, in order. */
  open(): Promise<Readable>;
}

export interface EngineInput {
  datasetId: string;
  /** The name the SQL reads it by. */
  view: string;
  format: "csv" | "parquet";
  schema: DatasetField[];
  /** Only these columns are loaded: the SQL cannot name any other. */
  allowedFields: string[];
  files: InputFile[];
}

export interface EngineOutput {
  datasetId: string;
  schema: DatasetField[];
  /** The output is projected to these columns (in schema order) before it is written. */
  allowedFields: string[];
}

export interface EngineLimits {
  /** DuckDB memory_limit, e.g. "4GB" (default: DuckDB's own). */
  memoryLimit?: string;
  /** DuckDB threads (default: DuckDB's own). */
  threads?: number;
  /**
   * A directory on tmpfs or ramfs (default `/dev/shm`) for the private FIFOs CSV inputs stream
   * through and the Parquet files DuckDB reads; loading refuses to start if it is not RAM-backed.
   */
  ramDirectory?: string;
}

/** What the agent reports: no data values, only counts and timings. */
export interface EngineReport {
  /** Rows loaded per view, and `output` for the rows written. */
  rowCounts: Record<string, number>;
  /** Milliseconds per phase: `load`, `query`, `thresholds`, `write`. */
  durationsMs: Record<string, number>;
  /** Output groups dropped by thresholds.minGroupSize. */
  droppedGroups: number;
}

/** A query refused or failed by the engine; `message` carries no data values. */
export type EngineErrorCode =
  "InputInvalid" | "PreconditionFailed" | "QueryFailed" | "OutputInvalid" | "ParameterInvalid";

export type QuerySpec = Pick<QueryDocument, "sql" | "parameters" | "preconditions" | "thresholds">;

/** A run's output: projected, thresholded, ready to be encrypted and written. */
export interface EngineResult {
  /** `durationsMs.write` is set once `csv()` has been read to its end. */
  report: EngineReport;
  /** The output's columns: its dataset's allowed fields, in schema order. */
  columns: string[];
  rows: number;
  /**
   * The output as CSV (RFC 4180): a header row, then one line per row, CRLF line ends; NULL is an
   * empty field and an empty string is `""`. Each call reads the output anew.
   */
  csv(): AsyncIterable<Uint8Array>;
}
