// A dataset location in an S3 bucket (tested against s3rver). Uploads go through
// @aws-sdk/lib-storage: one PutObject for small bodies, a multipart upload otherwise. S3 only makes
// an object visible when PutObject or CompleteMultipartUpload succeeds; on failure or abort the
// multipart upload is aborted, so nothing is visible and a re-run uploads again from the start.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable } from "node:stream";

import { checkListPrefix, checkName, countingSource, normalisePrefix } from "./common.js";
import { connectionCode } from "../network.js";
import {
  DEFAULT_BLOCK_SIZE,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_ATTEMPTS,
  StorageError,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type StorageBackend,
  type StorageCredentials,
  type StorageOptions,
  type UploadSource,
  type DatasetLocation,
} from "./types.js";

export type S3Location = Extract<DatasetLocation, { kind: "s3" }>;

// The SDK warns once per process on Node < 22 that future releases will need Node 22. It is not
// actionable for our users and must not show in command output; an explicit setting still wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** S3's smallest part (except the last) and most parts per upload. */
const MIN_PART = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

export class S3Storage implements StorageBackend {
  readonly location: S3Location;
  /** The SDK client (credentials inside; do not log it). */
  readonly client: S3Client;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly concurrency: number;
  private readonly where: string;

  constructor(location: S3Location, credentials: StorageCredentials, options: StorageOptions = {}) {
    this.location = location;
    this.prefix = normalisePrefix(location.prefix);
    this.partSize = Math.max(MIN_PART, options.blockSize ?? DEFAULT_BLOCK_SIZE);
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(location.bucket)) {
      throw new StorageError(
        "InvalidLocation",
        `${JSON.stringify(location.bucket)} is not a valid S3 bucket name (3-63 lowercase letters, digits, '.', '-')`,
      );
    }
    if (location.endpoint !== undefined) {
      try {
        const url = new URL(location.endpoint);
        if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error();
      } catch {
        throw new StorageError(
          "InvalidLocation",
          "the S3 location's endpoint must be an http(s) URL (omit it for AWS)",
        );
      }
    }
    const region = location.region ?? "us-east-1";
    this.where = `s3 bucket ${location.bucket}${location.endpoint !== undefined ? ` at ${new URL(location.endpoint).origin}` : ` in ${region}`}`;
    if (credentials.kind !== "s3-static" && credentials.kind !== "none") {
      throw new StorageError(
        "InvalidLocation",
        `credentials of kind ${credentials.kind} cannot open an S3 location`,
      );
    }
    this.client = new S3Client({
      region,
      endpoint: location.endpoint,
      // Custom endpoints (S3-compatible servers) rarely have per-bucket host names.
      forcePathStyle: location.endpoint !== undefined,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      credentials:
        credentials.kind === "s3-static"
          ? {
              accessKeyId: credentials.accessKeyId,
              secretAccessKey: credentials.secretAccessKey,
              sessionToken: credentials.sessionToken,
            }
          : { accessKeyId: "", secretAccessKey: "" },
    });
  }

  private key(name: string): string {
    return this.prefix + checkName(name);
  }

  async create(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
      return;
    } catch (error) {
      const mapped = this.failure(error);
      if (!(mapped instanceof StorageError && mapped.code === "NotFound")) throw mapped;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.location.bucket }));
    } catch (error) {
      const code = (error as { name?: unknown }).name;
      if (code === "BucketAlreadyOwnedByYou") return;
      throw this.failure(error);
    }
  }

  async put(name: string, source: UploadSource, options: PutOptions = {}): Promise<PutResult> {
    const key = this.key(name);
    const counted = countingSource(source, options.signal);
    const partSize =
      options.size !== undefined
        ? Math.max(this.partSize, Math.ceil(options.size / MAX_PARTS))
        : this.partSize;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: key, Body: counted.stream },
      partSize,
      queueSize: this.concurrency,
      leavePartsOnError: false,
      abortController: options.signal ? abortControllerFor(options.signal) : undefined,
    });
    if (options.onProgress) {
      upload.on("httpUploadProgress", (progress) => {
        if (progress.loaded !== undefined) options.onProgress?.(progress.loaded);
      });
    }
    try {
      await upload.done();
    } catch (error) {
      counted.stream.destroy();
      throw this.failure(error, name);
    }
    return { size: counted.bytes() };
  }

  async get(name: string): Promise<Readable> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }),
      );
      const body = response.Body;
      if (body instanceof Readable) return body;
      if (body === undefined) return Readable.from([]);
      throw new Error("unexpected body type in the S3 response");
    } catch (error) {
      throw this.failure(error, name);
    }
  }

  async list(prefix?: string): Promise<ObjectInfo[]> {
    const wanted = this.prefix + checkListPrefix(prefix);
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.location.bucket,
            Prefix: wanted === "" ? undefined : wanted,
            ContinuationToken: token,
          }),
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          out.push({ name: item.Key.slice(this.prefix.length), size: item.Size ?? 0 });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw this.failure(error);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }),
      );
    } catch (error) {
      throw this.failure(error, name);
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }),
      );
      return true;
    } catch (error) {
      const mapped = this.failure(error, name);
      if (!(mapped instanceof StorageError && mapped.code === "NotFound")) throw mapped;
    }
    // HEAD responses have no body, so a missing bucket looks like a missing object: tell them apart.
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
    } catch (error) {
      const mapped = this.failure(error);
      if (mapped instanceof StorageError && mapped.code === "NotFound") {
        throw new StorageError(
          "NotFound",
          `${this.where} does not exist: create the bucket or fix the dataset location`,
          "NoSuchBucket",
        );
      }
      throw mapped;
    }
    return false;
  }

  /** Releases the client's sockets. */
  close(): void {
    this.client.destroy();
  }

  /** Maps an SDK error to a StorageError (never includes credentials). */
  failure(error: unknown, name?: string): Error {
    if (error instanceof StorageError) return error;
    const what = name === undefined ? this.where : `${name} in ${this.where}`;
    const record = (error ?? {}) as {
      name?: unknown;
      Code?: unknown;
      $metadata?: { httpStatusCode?: unknown };
    };
    if (record.name === "AbortError") return error as Error;
    const code =
      typeof record.Code === "string"
        ? record.Code
        : typeof record.name === "string"
          ? record.name
          : undefined;
    const status =
      typeof record.$metadata?.httpStatusCode === "number"
        ? record.$metadata.httpStatusCode
        : undefined;
    const net = connectionCode(error);
    if (net !== undefined || code === "TimeoutError") {
      return new StorageError(
        "Unreachable",
        `cannot reach ${this.where} (${net ?? code}): check the endpoint and that the service is running`,
        net ?? code,
      );
    }
    if (code === "NoSuchBucket") {
      return new StorageError(
        "NotFound",
        `${this.where} does not exist: create the bucket or fix the dataset location`,
        code,
      );
    }
    if (code === "NoSuchKey" || code === "NotFound" || status === 404) {
      return new StorageError(
        "NotFound",
        `${what} not found: check the name and the dataset location`,
        code ?? "404",
      );
    }
    if (
      status === 401 ||
      status === 403 ||
      code === "AccessDenied" ||
      code === "InvalidAccessKeyId" ||
      code === "SignatureDoesNotMatch" ||
      code === "ExpiredToken"
    ) {
      return new StorageError(
        "AccessDenied",
        `access denied to ${what} (${code ?? status}): check the access keys and their policy`,
        code ?? String(status),
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

function abortControllerFor(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return controller;
}
