// A dataset: what its owner publishes for a contract so that queries can name it. Pure types and
// the validator shared by governance, the CLI and the runtime.
import { base64Decode } from "./encoding.js";

/** Column types a schema may declare (the runtime maps them to its engine's types). */
export const FIELD_TYPES = [
  "string",
  "integer",
  "long",
  "float",
  "double",
  "decimal",
  "boolean",
  "date",
  "timestamp",
  "binary",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface DatasetField {
  name: string;
  type: FieldType;
}

/** Where the (encrypted) data lives. */
export type DatasetLocation =
  | { kind: "local"; path: string }
  | { kind: "azure-blob"; accountUrl: string; container: string; prefix?: string }
  | { kind: "s3"; endpoint?: string; region?: string; bucket: string; prefix?: string };

/**
 * How the dataset's DEK is wrapped to a governance KEK:
 * - `RSA-OAEP-256` (the default): the raw DEK encrypted with RSA-OAEP, SHA-256 for both the hash
 *   and MGF1, no label, to the KEK's public key.
 * - `RSA-OAEP-AES-KWP`: CKM_RSA_AES_KEY_WRAP: a fresh AES key encrypted with RSA-OAEP-256, followed
 *   by the DEK wrapped with that AES key (AES key wrap with padding, RFC 5649).
 */
export const WRAP_ALGORITHMS = ["RSA-OAEP-256", "RSA-OAEP-AES-KWP"] as const;
export type WrapAlgorithm = (typeof WRAP_ALGORITHMS)[number];

export interface DatasetEncryption {
  /** The DEK wrapped to the KEK `kekId`, base64. */
  wrappedDek: string;
  /** The governance KEK the DEK is wrapped to (see `/app/keys`). */
  kekId: string;
  /** Absent means `RSA-OAEP-256`. */
  algorithm?: WrapAlgorithm;
}

export interface DatasetDocument {
  description?: string;
  schema: DatasetField[];
  /** The fields a query may read: a subset of the schema's names. */
  allowedFields: string[];
  location: DatasetLocation;
  format: "csv" | "parquet";
  partitioning?: { by: string[] };
  encryption: DatasetEncryption;
  labels?: Record<string, string>;
}

/** A published dataset, as governance stores and returns it. */
export interface DatasetRecord {
  contractId: string;
  datasetId: string;
  /** The participant who first published it: only they publish new revisions. */
  owner: string;
  /** 1 for the first publication, +1 for each new one. */
  revision: number;
  document: DatasetDocument;
  /** Unix seconds (the governance host's clock) when this revision was published. */
  publishedAt: number;
  /** The id (`view.seqno`) of the transaction that wrote this revision. */
  version: string;
}

/** Ids of contracts, datasets and queries: letters, digits, `.`, `_`, `-`; 1 to 64 characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Field names and view names: SQL identifiers. */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const MAX_LABELS = 32;
const MAX_LABEL_VALUE = 256;
const MAX_FIELDS = 1024;
const MAX_TEXT = 4096;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Problems are collected as `path: what is wrong` strings. */
class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
  string(value: unknown, path: string, max = MAX_TEXT): value is string {
    if (typeof value !== "string" || value.length === 0) {
      this.add(path, "must be a non-empty string");
      return false;
    }
    if (value.length > max) {
      this.add(path, `must be at most ${max} characters`);
      return false;
    }
    return true;
  }
  optionalString(value: unknown, path: string, max = MAX_TEXT): void {
    if (value !== undefined) this.string(value, path, max);
  }
  unknownKeys(value: Json, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.add(path, `unknown property '${key}'`);
    }
  }
}

export { Problems as ValidationProblems, isObject };

function checkUrl(problems: Problems, value: unknown, path: string): void {
  if (!problems.string(value, path, 2048)) return;
  if (!/^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/.test(value as string)) {
    problems.add(path, "must be an http(s) URL");
  }
}

function checkLocation(problems: Problems, value: unknown, path: string): void {
  if (!isObject(value)) return problems.add(path, "must be an object");
  switch (value.kind) {
    case "local":
      problems.unknownKeys(value, ["kind", "path"], path);
      problems.string(value.path, `${path}.path`, 1024);
      return;
    case "azure-blob":
      problems.unknownKeys(value, ["kind", "accountUrl", "container", "prefix"], path);
      checkUrl(problems, value.accountUrl, `${path}.accountUrl`);
      if (problems.string(value.container, `${path}.container`, 63)) {
        if (!/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?$/.test(value.container as string)) {
          problems.add(`${path}.container`, "is not a valid Azure container name");
        }
      }
      problems.optionalString(value.prefix, `${path}.prefix`, 1024);
      return;
    case "s3":
      problems.unknownKeys(value, ["kind", "endpoint", "region", "bucket", "prefix"], path);
      if (value.endpoint !== undefined) checkUrl(problems, value.endpoint, `${path}.endpoint`);
      problems.optionalString(value.region, `${path}.region`, 64);
      if (problems.string(value.bucket, `${path}.bucket`, 63)) {
        if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value.bucket as string)) {
          problems.add(`${path}.bucket`, "is not a valid S3 bucket name");
        }
      }
      problems.optionalString(value.prefix, `${path}.prefix`, 1024);
      return;
    default:
      problems.add(`${path}.kind`, "must be one of local, azure-blob, s3");
  }
}

/** Checks labels: at most 32, keys like `team` or `example.com/tier`, string values. */
export function checkLabels(problems: Problems, value: unknown, path: string): void {
  if (value === undefined) return;
  if (!isObject(value)) return problems.add(path, "must be an object of strings");
  const entries = Object.entries(value);
  if (entries.length > MAX_LABELS) problems.add(path, `must have at most ${MAX_LABELS} labels`);
  for (const [key, label] of entries) {
    if (!LABEL_KEY.test(key)) problems.add(`${path}.${key}`, "is not a valid label key");
    if (typeof label !== "string" || label.length > MAX_LABEL_VALUE || label.includes(",")) {
      problems.add(
        `${path}.${key}`,
        `must be a string of at most ${MAX_LABEL_VALUE} characters without ','`,
      );
    }
  }
}

function checkEncryption(problems: Problems, value: unknown, path: string): void {
  if (!isObject(value)) return problems.add(path, "must be an object");
  problems.unknownKeys(value, ["wrappedDek", "kekId", "algorithm"], path);
  if (problems.string(value.wrappedDek, `${path}.wrappedDek`, 8192)) {
    const text = value.wrappedDek as string;
    // An RSA-OAEP ciphertext is as long as the modulus: at least 2048 bits = 256 bytes.
    if (!BASE64.test(text)) problems.add(`${path}.wrappedDek`, "must be base64");
    else if (base64Decode(text).length < 256) {
      problems.add(`${path}.wrappedDek`, "is too short to be wrapped with an RSA key");
    }
  }
  if (
    problems.string(value.kekId, `${path}.kekId`, 128) &&
    !ID_PATTERN.test(value.kekId as string)
  ) {
    problems.add(`${path}.kekId`, "is not a valid key id");
  }
  if (
    value.algorithm !== undefined &&
    !(WRAP_ALGORITHMS as readonly unknown[]).includes(value.algorithm)
  ) {
    problems.add(`${path}.algorithm`, `must be one of ${WRAP_ALGORITHMS.join(", ")}`);
  }
}

function checkNameList(
  problems: Problems,
  value: unknown,
  path: string,
  known: Set<string>,
  what: string,
): void {
  if (!Array.isArray(value)) return problems.add(path, "must be an array of field names");
  const seen = new Set<string>();
  value.forEach((name, i) => {
    if (typeof name !== "string") return problems.add(`${path}[${i}]`, "must be a string");
    if (!known.has(name)) problems.add(`${path}[${i}]`, `'${name}' is not ${what}`);
    if (seen.has(name)) problems.add(`${path}[${i}]`, `'${name}' is listed twice`);
    seen.add(name);
  });
}

/** The problems of a dataset document (empty when it is valid). */
export function validateDatasetDocument(value: unknown): string[] {
  const problems = new Problems();
  if (!isObject(value)) return ["document: must be an object"];
  problems.unknownKeys(
    value,
    [
      "description",
      "schema",
      "allowedFields",
      "location",
      "format",
      "partitioning",
      "encryption",
      "labels",
    ],
    "document",
  );
  problems.optionalString(value.description, "description");
  const names = new Set<string>();
  if (!Array.isArray(value.schema) || value.schema.length === 0) {
    problems.add("schema", "must be a non-empty array of {name, type}");
  } else if (value.schema.length > MAX_FIELDS) {
    problems.add("schema", `must have at most ${MAX_FIELDS} fields`);
  } else {
    value.schema.forEach((field: unknown, i: number) => {
      const path = `schema[${i}]`;
      if (!isObject(field)) return problems.add(path, "must be an object {name, type}");
      problems.unknownKeys(field, ["name", "type"], path);
      if (typeof field.name !== "string" || !IDENTIFIER_PATTERN.test(field.name)) {
        problems.add(`${path}.name`, "must be an identifier (letters, digits, _)");
      } else if (names.has(field.name)) {
        problems.add(`${path}.name`, `'${field.name}' is declared twice`);
      } else {
        names.add(field.name);
      }
      if (!(FIELD_TYPES as readonly unknown[]).includes(field.type)) {
        problems.add(`${path}.type`, `must be one of ${FIELD_TYPES.join(", ")}`);
      }
    });
  }
  checkNameList(problems, value.allowedFields, "allowedFields", names, "in the schema");
  checkLocation(problems, value.location, "location");
  if (value.format !== "csv" && value.format !== "parquet") {
    problems.add("format", "must be csv or parquet");
  }
  if (value.partitioning !== undefined) {
    if (!isObject(value.partitioning)) problems.add("partitioning", "must be an object {by}");
    else {
      problems.unknownKeys(value.partitioning, ["by"], "partitioning");
      checkNameList(problems, value.partitioning.by, "partitioning.by", names, "in the schema");
    }
  }
  checkEncryption(problems, value.encryption, "encryption");
  checkLabels(problems, value.labels, "labels");
  return problems.list;
}

/** Whether a dataset carries every `key: value` label of `filter`. */
export function hasLabels(
  document: Pick<DatasetDocument, "labels">,
  filter: Record<string, string>,
): boolean {
  return Object.entries(filter).every(([key, value]) => document.labels?.[key] === value);
}
