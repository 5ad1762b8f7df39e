// Storage backends for dataset locations: `openStorage(location, credentials)`.
import type { DatasetLocation } from "../../contracts/src/dataset.js";

import { AzureBlobStorage } from "./azure.js";
import { grantCredentials, type AccessGrant } from "./grants.js";
import { LocalStorage } from "./local.js";
import { S3Storage } from "./s3.js";
import {
  StorageError,
  type StorageBackend,
  type StorageCredentials,
  type StorageOptions,
} from "./types.js";

export * from "./types.js";
export { AzureBlobStorage, type AzureBlobLocation } from "./azure.js";
export { LocalStorage, LOCAL_TEMP_DIR } from "./local.js";
export { S3Storage, type S3Location } from "./s3.js";
export {
  AZURE_GRANT_PERMISSIONS,
  createS3Grant,
  grantAzureAccess,
  grantName,
  grantValueCredentials,
  grantCredentials,
  revokeAzureAccess,
  s3GrantValue,
  s3GrantPolicy,
  type AccessGrant,
  type AzureAccessGrant,
  type GrantAccess,
  type GrantOptions,
  type IamPolicyDocument,
  type IamStatement,
  type S3AccessGrant,
  type S3Credentials,
  type S3GrantIssuer,
} from "./grants.js";
export {
  STS_MAX_SECONDS,
  STS_MIN_SECONDS,
  StsError,
  defaultAwsCredentials,
  mintS3Grant,
  partitionOf,
  stsDurationSeconds,
  stsSessionName,
  type StsAction,
  type StsErrorCode,
  type StsGrantRequest,
} from "./s3-grants.js";

/** The backend for a dataset location. Throws `InvalidLocation` for an unusable location. */
export function openStorage(
  location: DatasetLocation,
  credentials: StorageCredentials = { kind: "none" },
  options: StorageOptions = {},
): StorageBackend {
  const kind = (location as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case "local":
      return new LocalStorage(location as Extract<DatasetLocation, { kind: "local" }>);
    case "azure-blob":
      return new AzureBlobStorage(
        location as Extract<DatasetLocation, { kind: "azure-blob" }>,
        credentials,
        options,
      );
    case "s3":
      return new S3Storage(
        location as Extract<DatasetLocation, { kind: "s3" }>,
        credentials,
        options,
      );
    default:
      throw new StorageError(
        "InvalidLocation",
        `unknown storage kind ${JSON.stringify(kind)}: use local, azure-blob or s3`,
      );
  }
}

/** The backend a clean room opens with an access grant (refuses an expired grant). */
export function openGrant(grant: AccessGrant, options: StorageOptions = {}): StorageBackend {
  return openStorage(grant.location, grantCredentials(grant), options);
}
