// Reaching a dataset's storage from the clean room: a local folder needs nothing; Azure Blob and
// S3 need the owner's access grant (released by governance to the run), read for an input and
// write for the output. Grants are named as `cleanroom dataset grant` names them.
import type { DatasetLocation } from "../../contracts/src/dataset.js";
import {
  grantName,
  grantValueCredentials,
  type GrantAccess,
  type StorageCredentials,
} from "../../client/storage/index.js";
import { RunError } from "./errors.js";

/** Whether a location needs an access grant (cloud storage) or not (a local folder). */
export const needsGrant = (location: DatasetLocation): boolean => location.kind !== "local";

/** The grant's secret id: `<ownerId>:<the CLI's default grant name>`. */
export const grantSecretId = (ownerId: string, datasetId: string, access: GrantAccess): string =>
  `${ownerId}:${grantName(datasetId, access)}`;

/** Storage credentials from a grant's value: a SAS string (Azure) or S3 credentials as JSON. */
export function grantStorageCredentials(
  location: DatasetLocation,
  value: string,
  datasetId: string,
): StorageCredentials {
  const credentials = grantValueCredentials(location, value);
  if (credentials === undefined) {
    throw new RunError(
      "GrantInvalid",
      `The access grant for dataset ${datasetId} is not S3 credentials {accessKeyId, secretAccessKey}.`,
    );
  }
  return credentials;
}

/** Refuses a grant that has expired (governance refuses them too, but time passes in a run). */
export function checkGrantExpiry(expiresAt: string | undefined, datasetId: string): void {
  if (expiresAt !== undefined && Date.parse(expiresAt) <= Date.now()) {
    throw new RunError(
      "SecretExpired",
      `The access grant for dataset ${datasetId} has expired: its owner must grant access again.`,
    );
  }
}

/** Hive-style partition values of an object name: `date=2026-01-01/part-0.csv` → {date: …}. */
export function partitionOf(name: string): Record<string, string> {
  const partition: Record<string, string> = {};
  for (const segment of name.split("/").slice(0, -1)) {
    const at = segment.indexOf("=");
    if (at > 0) {
      partition[decodeURIComponent(segment.slice(0, at))] = decodeURIComponent(
        segment.slice(at + 1),
      );
    }
  }
  return partition;
}

/**
 * The objects of an input the run reads: all of them, except that a run parameter named like one
 * of the dataset's partition columns keeps only that partition's objects.
 */
export function selectPartitions<T extends { name: string }>(
  objects: readonly T[],
  partitionColumns: readonly string[],
  parameters: Readonly<Record<string, unknown>>,
): (T & { partition: Record<string, string> })[] {
  const selected = partitionColumns.filter((column) => parameters[column] !== undefined);
  return objects
    .map((object) => ({ ...object, partition: partitionOf(object.name) }))
    .filter((object) =>
      selected.every((column) => object.partition[column] === String(parameters[column])),
    );
}
