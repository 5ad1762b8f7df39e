// Access grants (`dataset grant|revoke`): a credential for the clean room scoped to one container or
// bucket, read-only for inputs or write-only for the output sink, with an expiry.
//
// Azure: a container SAS tied to a stored access policy on the container. The policy holds the
// permissions and expiry; deleting it (`revokeAzureAccess`) invalidates every SAS minted from it
// (the real service may take up to 30 s to apply the change; Azurite applies it at once). A
// container has at most 5 stored access policies; expired ones are pruned when a grant is minted.
//
// S3: temporary credentials minted by STS with the session policy from `s3GrantPolicy`, so the
// service enforces the bucket/prefix scope, the actions and the expiry (`mintS3Grant` in
// s3-grants.ts). For S3-compatible servers without STS, `createS3Grant` wraps credentials the owner
// passes ("static"): nothing on the server scopes them; only the expiry is checked, client-side, by
// `grantCredentials`.
import { randomBytes } from "node:crypto";

import { generateBlobSASQueryParameters, type SignedIdentifier } from "@azure/storage-blob";

import { normalisePrefix } from "./common.js";
import type { AzureBlobLocation, AzureBlobStorage } from "./azure.js";
import type { S3Location } from "./s3.js";
import { StorageError, type DatasetLocation, type StorageCredentials } from "./types.js";

export type GrantAccess = "read" | "write";

export interface AzureAccessGrant {
  kind: "azure-sas";
  access: GrantAccess;
  location: AzureBlobLocation;
  /** The container's stored access policy the SAS refers to (what `revoke` deletes). */
  policyId: string;
  /** ISO 8601, UTC. */
  expiresAt: string;
  /** The SAS query string (secret). */
  sas: string;
}

/** S3 access keys (secret), with a session token when they are temporary. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Who made an S3 grant's credentials: STS (scoped by the service to `policy`), or the owner
 * ("static": passed as they are; the server does not scope them).
 */
export type S3GrantIssuer = "sts:AssumeRole" | "sts:GetFederationToken" | "static";

export interface S3AccessGrant {
  kind: "s3-policy";
  access: GrantAccess;
  location: S3Location;
  /** ISO 8601, UTC. */
  expiresAt: string;
  /** The credentials the clean room uses (secret). */
  credentials: S3Credentials;
  /** The IAM policy: STS's session policy, or (static) the one to attach to the keys' principal. */
  policy: IamPolicyDocument;
  issuer: S3GrantIssuer;
}

export type AccessGrant = AzureAccessGrant | S3AccessGrant;

/** The name `cleanroom dataset grant` gives a grant by default, and the one the clean room asks for. */
export const grantName = (datasetId: string, access: GrantAccess): string =>
  `${datasetId}-${access}`;

/**
 * What governance stores for an S3 grant: the clean room's credentials with their scope and expiry
 * (JSON). `grantValueCredentials` reads it back.
 */
export function s3GrantValue(grant: S3AccessGrant): string {
  return JSON.stringify({
    ...grant.credentials,
    bucket: grant.location.bucket,
    ...(grant.location.prefix ? { prefix: grant.location.prefix } : {}),
    access: grant.access,
    expiresAt: grant.expiresAt,
    issuer: grant.issuer,
  });
}

/**
 * The credentials in a grant value as governance releases it: an Azure SAS string, or S3
 * credentials as `s3GrantValue` writes them; undefined when the value is not of that kind.
 */
export function grantValueCredentials(
  location: DatasetLocation,
  value: string,
): StorageCredentials | undefined {
  if (location.kind === "azure-blob") return { kind: "azure-sas", sas: value };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { accessKeyId, secretAccessKey, sessionToken } = parsed ?? {};
  if (typeof accessKeyId !== "string" || typeof secretAccessKey !== "string") return undefined;
  return typeof sessionToken === "string"
    ? { kind: "s3-static", accessKeyId, secretAccessKey, sessionToken }
    : { kind: "s3-static", accessKeyId, secretAccessKey };
}

/** Container SAS permissions: read = read + list; write = create + write + add (no read, no delete). */
export const AZURE_GRANT_PERMISSIONS: Record<GrantAccess, string> = { read: "rl", write: "acw" };

const MAX_STORED_POLICIES = 5;

export interface GrantOptions {
  access: GrantAccess;
  expiresAt: Date;
}

/** Refuses an access other than read/write and an expiry that is invalid or not in the future. */
export function checkGrantOptions(options: GrantOptions, now: Date): void {
  if (options.access !== "read" && options.access !== "write") {
    throw new StorageError("InvalidLocation", "grant access must be 'read' or 'write'");
  }
  if (!(options.expiresAt instanceof Date) || Number.isNaN(options.expiresAt.getTime())) {
    throw new StorageError("InvalidLocation", "a grant needs a valid expiry date");
  }
  if (options.expiresAt.getTime() <= now.getTime()) {
    throw new StorageError("InvalidLocation", "a grant's expiry must be in the future");
  }
}

/**
 * Mints a container SAS under a new stored access policy. `storage` must have been opened with the
 * account key (shared key or a connection string with `AccountKey`).
 */
export async function grantAzureAccess(
  storage: AzureBlobStorage,
  options: GrantOptions,
): Promise<AzureAccessGrant> {
  const now = new Date();
  checkGrantOptions(options, now);
  const sharedKey = storage.sharedKey;
  if (sharedKey === undefined) {
    throw new StorageError(
      "AccessDenied",
      "minting a grant needs the storage account key: open the location with the account key or a connection string that has one",
    );
  }
  // Whole seconds: the service compares SAS times at that precision.
  const expiresOn = new Date(Math.floor(options.expiresAt.getTime() / 1000) * 1000);
  const permissions = AZURE_GRANT_PERMISSIONS[options.access];
  const policyId = `cleanroom-${options.access}-${randomBytes(8).toString("hex")}`;
  try {
    const current = await storage.container.getAccessPolicy();
    const kept = current.signedIdentifiers.filter(
      (s) => s.accessPolicy.expiresOn === undefined || s.accessPolicy.expiresOn > now,
    );
    if (kept.length >= MAX_STORED_POLICIES) {
      throw new StorageError(
        "AccessDenied",
        `container ${storage.location.container} already has ${MAX_STORED_POLICIES} active stored access policies: revoke a grant first`,
      );
    }
    const next: SignedIdentifier[] = [
      ...kept,
      { id: policyId, accessPolicy: { expiresOn, permissions } },
    ];
    await storage.container.setAccessPolicy(current.blobPublicAccess, next);
  } catch (error) {
    throw storage.failure(error);
  }
  const sas = generateBlobSASQueryParameters(
    { containerName: storage.location.container, identifier: policyId },
    sharedKey,
  ).toString();
  return {
    kind: "azure-sas",
    access: options.access,
    location: { ...storage.location },
    policyId,
    expiresAt: expiresOn.toISOString(),
    sas,
  };
}

/**
 * Deletes the stored access policy behind a grant, which invalidates its SAS. Returns false if the
 * policy was already gone.
 */
export async function revokeAzureAccess(
  storage: AzureBlobStorage,
  policyId: string,
): Promise<boolean> {
  try {
    const current = await storage.container.getAccessPolicy();
    const kept = current.signedIdentifiers.filter((s) => s.id !== policyId);
    if (kept.length === current.signedIdentifiers.length) return false;
    await storage.container.setAccessPolicy(current.blobPublicAccess, kept);
    return true;
  } catch (error) {
    throw storage.failure(error);
  }
}

/** An IAM policy document (the subset we generate). */
export interface IamPolicyDocument {
  Version: "2012-10-17";
  Statement: IamStatement[];
}

export interface IamStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition: Record<string, Record<string, string | string[]>>;
}

/**
 * The IAM policy that limits credentials to one bucket (and prefix), to reading or writing, until
 * `expiresAt`. Use it as the session policy of STS AssumeRole / GetFederationToken (or attach it to
 * a role). `partition` is `aws` except in China / GovCloud.
 */
export function s3GrantPolicy(
  bucket: string,
  prefix: string | undefined,
  access: GrantAccess,
  expiresAt: Date,
  partition = "aws",
): IamPolicyDocument {
  const keyPrefix = normalisePrefix(prefix);
  const bucketArn = `arn:${partition}:s3:::${bucket}`;
  const objects = `${bucketArn}/${keyPrefix}*`;
  const until = { DateLessThan: { "aws:CurrentTime": expiresAt.toISOString() } };
  if (access === "read") {
    return {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ListDatasetObjects",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: [bucketArn],
          Condition:
            keyPrefix === "" ? until : { ...until, StringLike: { "s3:prefix": [`${keyPrefix}*`] } },
        },
        {
          Sid: "ReadDatasetObjects",
          Effect: "Allow",
          Action: ["s3:GetObject"],
          Resource: [objects],
          Condition: until,
        },
      ],
    };
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteDatasetObjects",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        Resource: [objects],
        Condition: until,
      },
    ],
  };
}

/**
 * A static S3 grant: the owner's `credentials` as they are, with the bucket, prefix, access and
 * expiry they are for and the policy the owner should attach to their principal. Nothing scopes
 * them on the server: for S3-compatible servers without STS only (use `mintS3Grant` otherwise).
 */
export function createS3Grant(
  location: S3Location,
  credentials: S3Credentials,
  options: GrantOptions,
): S3AccessGrant {
  checkGrantOptions(options, new Date());
  const expiresAt = new Date(Math.floor(options.expiresAt.getTime() / 1000) * 1000);
  return {
    kind: "s3-policy",
    access: options.access,
    location: { ...location },
    expiresAt: expiresAt.toISOString(),
    credentials: { ...credentials },
    policy: s3GrantPolicy(location.bucket, location.prefix, options.access, expiresAt),
    issuer: "static",
  };
}

/**
 * The credentials to open a grant's location with. Refuses an expired grant (for S3 test servers
 * this client-side check is the only expiry enforcement; Azure also enforces it in the service).
 */
export function grantCredentials(grant: AccessGrant, now: Date = new Date()): StorageCredentials {
  if (Date.parse(grant.expiresAt) <= now.getTime()) {
    throw new StorageError(
      "AccessDenied",
      `the access grant expired at ${grant.expiresAt}: ask the dataset owner for a new grant`,
      "GrantExpired",
    );
  }
  if (grant.kind === "azure-sas") return { kind: "azure-sas", sas: grant.sas };
  return { kind: "s3-static", ...grant.credentials };
}
