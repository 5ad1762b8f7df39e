// A dataset location in an Azure Blob container (tested against Azurite). Uploads stage blocks in
// parallel and commit the block list at the end: until the commit a reader sees the previous blob
// (or none); an interrupted upload commits nothing (its uncommitted blocks are discarded by the
// service) and a re-run commits a complete blob.
import {
  AnonymousCredential,
  BlobServiceClient,
  ContainerClient,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
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

export type AzureBlobLocation = Extract<DatasetLocation, { kind: "azure-blob" }>;

export class AzureBlobStorage implements StorageBackend {
  readonly location: AzureBlobLocation;
  /** The SDK client for the container (credentials inside; do not log it). */
  readonly container: ContainerClient;
  /** The account key credential, when the backend was opened with one (needed to mint grants). */
  readonly sharedKey: StorageSharedKeyCredential | undefined;
  private readonly prefix: string;
  private readonly blockSize: number;
  private readonly concurrency: number;
  private readonly where: string;

  constructor(
    location: AzureBlobLocation,
    credentials: StorageCredentials,
    options: StorageOptions = {},
  ) {
    this.location = location;
    this.prefix = normalisePrefix(location.prefix);
    this.blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    let accountUrl: URL;
    try {
      accountUrl = new URL(location.accountUrl);
      if (accountUrl.protocol !== "https:" && accountUrl.protocol !== "http:") throw new Error();
    } catch {
      throw new StorageError(
        "InvalidLocation",
        "the Azure location's accountUrl must be an http(s) URL such as https://<account>.blob.core.windows.net",
      );
    }
    if (!/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/.test(location.container)) {
      throw new StorageError(
        "InvalidLocation",
        `${JSON.stringify(location.container)} is not a valid Azure container name ` +
          "(3-63 lowercase letters, digits and hyphens)",
      );
    }
    this.where = `azure-blob container ${location.container} at ${accountUrl.origin}${accountUrl.pathname.replace(/\/$/, "")}`;
    const pipeline: StoragePipelineOptions = {
      retryOptions: {
        maxTries: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        retryDelayInMs: 200,
        maxRetryDelayInMs: 5000,
      },
    };
    const base = location.accountUrl.replace(/\/+$/, "");
    const containerUrl = `${base}/${location.container}`;
    switch (credentials.kind) {
      case "azure-shared-key":
        this.sharedKey = new StorageSharedKeyCredential(
          credentials.accountName,
          credentials.accountKey,
        );
        this.container = new ContainerClient(containerUrl, this.sharedKey, pipeline);
        break;
      case "azure-sas": {
        const sas = credentials.sas.replace(/^\?/, "");
        this.sharedKey = undefined;
        this.container = new ContainerClient(
          `${containerUrl}?${sas}`,
          new AnonymousCredential(),
          pipeline,
        );
        break;
      }
      case "azure-connection-string": {
        let service: BlobServiceClient;
        try {
          service = BlobServiceClient.fromConnectionString(credentials.connectionString, pipeline);
        } catch {
          throw new StorageError(
            "InvalidLocation",
            "the Azure connection string is malformed: copy it again from the storage account's access keys",
          );
        }
        // The location says where the dataset lives; a connection string only says how to sign in.
        const given = new URL(service.url);
        const same = (url: URL) => `${url.origin}${url.pathname.replace(/\/$/, "")}`;
        if (same(given) !== same(accountUrl)) {
          throw new StorageError(
            "AccessDenied",
            `the connection string is for the account at ${same(given)}, not ${same(accountUrl)} ` +
              "where the dataset lives: use that account's connection string",
          );
        }
        this.container = service.getContainerClient(location.container);
        this.sharedKey =
          service.credential instanceof StorageSharedKeyCredential ? service.credential : undefined;
        break;
      }
      case "none":
        this.sharedKey = undefined;
        this.container = new ContainerClient(containerUrl, new AnonymousCredential(), pipeline);
        break;
      default:
        throw new StorageError(
          "InvalidLocation",
          `credentials of kind ${credentials.kind} cannot open an Azure Blob location`,
        );
    }
  }

  private key(name: string): string {
    return this.prefix + checkName(name);
  }

  async create(): Promise<void> {
    try {
      await this.container.createIfNotExists();
    } catch (error) {
      throw this.failure(error);
    }
  }

  async put(name: string, source: UploadSource, options: PutOptions = {}): Promise<PutResult> {
    const blob = this.container.getBlockBlobClient(this.key(name));
    const counted = countingSource(source, options.signal);
    try {
      const blockSize =
        options.size !== undefined
          ? Math.max(this.blockSize, Math.ceil(options.size / 50_000))
          : this.blockSize;
      await blob.uploadStream(counted.stream, blockSize, this.concurrency, {
        abortSignal: options.signal,
        onProgress: options.onProgress
          ? (progress) => options.onProgress?.(progress.loadedBytes)
          : undefined,
      });
    } catch (error) {
      counted.stream.destroy();
      throw this.failure(error, name);
    }
    return { size: counted.bytes() };
  }

  async get(name: string): Promise<Readable> {
    const blob = this.container.getBlobClient(this.key(name));
    try {
      const response = await blob.download();
      const body = response.readableStreamBody;
      if (body === undefined) throw new Error("no body in the download response");
      return body instanceof Readable ? body : new Readable().wrap(body);
    } catch (error) {
      throw this.failure(error, name);
    }
  }

  async list(prefix?: string): Promise<ObjectInfo[]> {
    const wanted = this.prefix + checkListPrefix(prefix);
    const out: ObjectInfo[] = [];
    try {
      for await (const item of this.container.listBlobsFlat({ prefix: wanted })) {
        out.push({
          name: item.name.slice(this.prefix.length),
          size: item.properties.contentLength ?? 0,
        });
      }
    } catch (error) {
      throw this.failure(error);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string): Promise<void> {
    try {
      await this.container.getBlobClient(this.key(name)).deleteIfExists();
    } catch (error) {
      throw this.failure(error, name);
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      return await this.container.getBlobClient(this.key(name)).exists();
    } catch (error) {
      throw this.failure(error, name);
    }
  }

  /** Maps an SDK error to a StorageError (never includes credentials or URLs with a SAS). */
  failure(error: unknown, name?: string): Error {
    if (error instanceof StorageError) return error;
    const what = name === undefined ? this.where : `${name} in ${this.where}`;
    const net = connectionCode(error);
    const record = (error ?? {}) as {
      name?: unknown;
      code?: unknown;
      statusCode?: unknown;
      details?: { errorCode?: unknown };
    };
    if (record.name === "AbortError") return error as Error;
    const serviceCode =
      typeof record.details?.errorCode === "string"
        ? record.details.errorCode
        : typeof record.code === "string"
          ? record.code
          : undefined;
    const status = typeof record.statusCode === "number" ? record.statusCode : undefined;
    if (net !== undefined || (status === undefined && serviceCode === "REQUEST_SEND_ERROR")) {
      return new StorageError(
        "Unreachable",
        `cannot reach ${this.where} (${net ?? "connection failed"}): check the accountUrl and that the service is running`,
        net ?? serviceCode,
      );
    }
    if (status === 404) {
      if (serviceCode === "ContainerNotFound") {
        return new StorageError(
          "NotFound",
          `${this.where} does not exist: create the container or fix the dataset location`,
          serviceCode,
        );
      }
      return new StorageError(
        "NotFound",
        `${what} not found: check the name and the dataset location`,
        serviceCode ?? "404",
      );
    }
    if (status === 401 || status === 403) {
      return new StorageError(
        "AccessDenied",
        `access denied to ${what} (${serviceCode ?? status}): check the credentials, their permissions and expiry`,
        serviceCode ?? String(status),
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}
