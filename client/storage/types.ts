// Storage backends for the encrypted data plane: one backend per dataset location (a local folder,
// an Azure Blob container, an S3 bucket), each with an optional prefix. Objects are named relative
// to the location's prefix with `/`-separated names. Nothing here prints; credentials never appear
// in error messages.
import type { Readable } from "node:stream";

import type { DatasetLocation } from "../../contracts/src/dataset.js";

export type { DatasetLocation };

/** Stable error codes callers (the CLI, the runtime) switch on. */
export type StorageErrorCode = "NotFound" | "Unreachable" | "AccessDenied" | "InvalidLocation";

/** A storage failure a user can act on: `message` says what happened and what to do. */
export class StorageError extends Error {
  override readonly name = "StorageError";
  /**
   * @param code stable code
   * @param message one line, no secrets
   * @param detail the service's own error code or status (e.g. `BlobNotFound`, `ECONNREFUSED`)
   */
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export function isStorageError(value: unknown, code?: StorageErrorCode): value is StorageError {
  return value instanceof StorageError && (code === undefined || value.code === code);
}

/** What an upload reads from: a Node stream or any async iterable of bytes. */
export type UploadSource = Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  /** The size in bytes if known (lets backends size their blocks/parts and report progress). */
  size?: number;
  /** Called with the number of bytes transferred so far. */
  onProgress?: (transferredBytes: number) => void;
  /** Cancels the upload; nothing is left visible. */
  signal?: AbortSignal;
}

export interface PutResult {
  /** Bytes written. */
  size: number;
}

export interface ObjectInfo {
  /** The name relative to the location's prefix. */
  name: string;
  size: number;
}

/**
 * One dataset location. Every upload is all-or-nothing from a reader's view: until `put` resolves
 * readers see the previous object (or none); if it fails or is aborted, nothing new is visible and
 * re-running it is safe.
 */
export interface StorageBackend {
  readonly location: DatasetLocation;
  /** Create the folder / container / bucket if missing (needs owner-level credentials). */
  create(): Promise<void>;
  put(name: string, source: UploadSource, options?: PutOptions): Promise<PutResult>;
  /** A stream of the object's bytes; rejects with `NotFound` if it does not exist. */
  get(name: string): Promise<Readable>;
  /** Objects whose names start with `prefix` (relative to the location's prefix), sorted by name. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  /** Deletes the object; deleting a missing object is not an error. */
  delete(name: string): Promise<void>;
  exists(name: string): Promise<boolean>;
}

/**
 * Credentials for a location. They are only passed to the SDKs, never logged or put in errors.
 * - `azure-shared-key`: account name + key (e.g. Azurite's published dev account).
 * - `azure-sas`: a SAS query string (with or without the leading `?`), e.g. from a grant.
 * - `azure-connection-string`: a full connection string (its endpoint wins over `accountUrl`).
 * - `s3-static`: static access keys (optionally a session token from STS).
 * - `none`: anonymous (public containers) or a local folder.
 */
export type StorageCredentials =
  | { kind: "none" }
  | { kind: "azure-shared-key"; accountName: string; accountKey: string }
  | { kind: "azure-sas"; sas: string }
  | { kind: "azure-connection-string"; connectionString: string }
  | { kind: "s3-static"; accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** Tuning shared by the network backends. */
export interface StorageOptions {
  /** Attempts per request, including the first (default 3). 1 fails fast (tests, probes). */
  maxAttempts?: number;
  /** Block / part size for uploads in bytes (default 8 MiB). */
  blockSize?: number;
  /** Blocks / parts uploaded in parallel (default 4). */
  concurrency?: number;
}

export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_MAX_ATTEMPTS = 3;
