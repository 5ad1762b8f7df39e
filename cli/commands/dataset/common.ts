/**
 * What the `dataset` verbs share: ids and `--location` parsing, storage credentials from flags
 * or the environment, the owner's key file and its DEK (in the profile or in Key Vault), and
 * one-line errors for format, storage and Key Vault faults.
 */
import { Option, type Command } from "commander";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { ID_PATTERN, type DatasetLocation } from "../../../contracts/src/dataset.js";
import { base64Decode } from "../../../contracts/src/encoding.js";
import { FormatError } from "../../../client/format/index.js";
import {
  KeyVaultError,
  fetchDek,
  type KeyVaultAction,
  type KeyVaultSecretRef,
} from "../../../client/keyvault.js";
import {
  StorageError,
  openStorage,
  type StorageBackend,
  type StorageCredentials,
} from "../../../client/storage/index.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { DatasetKeyFile, Profile } from "../../profile/store.js";

export function checkId(value: string, what: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new UserError(
      `'${value}' is not a valid ${what}`,
      "use letters, digits, '.', '_' and '-' (1 to 64), starting with a letter or digit",
      "InvalidId",
    );
  }
  return value;
}

const LOCATION_HINT =
  "use local:<path>, azure:<accountUrl>/<container>[/prefix] or s3:<bucket>[/prefix]";

/**
 * `local:<path>`, `azure:<accountUrl>/<container>[/prefix]`, `s3:<bucket>[/prefix]`. A relative
 * local path is made absolute here: stored as given, it would mean another folder for every
 * command run from another directory.
 */
export function parseLocation(
  text: string,
  s3: { endpoint?: string; region?: string } = {},
): DatasetLocation {
  const colon = text.indexOf(":");
  const scheme = colon < 0 ? "" : text.slice(0, colon);
  const rest = text.slice(colon + 1);
  const bad = (why: string) =>
    new UserError(`invalid location '${text}': ${why}`, LOCATION_HINT, "InvalidLocation");
  switch (scheme) {
    case "local":
      if (rest === "") throw bad("no path");
      return { kind: "local", path: resolve(rest) };
    case "azure": {
      let url: URL;
      try {
        url = new URL(rest);
      } catch {
        throw bad("not a URL");
      }
      if (url.protocol !== "https:" && url.protocol !== "http:") throw bad("not an http(s) URL");
      const parts = url.pathname.split("/").filter((p) => p !== "");
      // Emulators (Azurite) put the account name in the path: http://127.0.0.1:10000/account.
      const accountParts = /^[\d.]+$|^localhost$/.test(url.hostname) ? 1 : 0;
      if (parts.length < accountParts + 1) throw bad("no container");
      const accountUrl = `${url.origin}${accountParts ? `/${parts[0]}` : ""}`;
      const container = parts[accountParts]!;
      const prefix = parts.slice(accountParts + 1).join("/");
      return { kind: "azure-blob", accountUrl, container, ...(prefix ? { prefix } : {}) };
    }
    case "s3": {
      const parts = rest.split("/").filter((p) => p !== "");
      if (parts.length === 0) throw bad("no bucket");
      const prefix = parts.slice(1).join("/");
      return {
        kind: "s3",
        ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
        ...(s3.region ? { region: s3.region } : {}),
        bucket: parts[0]!,
        ...(prefix ? { prefix } : {}),
      };
    }
    default:
      throw bad("unknown kind");
  }
}

/** Human form of a location. */
export function describeLocation(location: DatasetLocation): string {
  const prefix = "prefix" in location && location.prefix ? `/${location.prefix}` : "";
  switch (location.kind) {
    case "local":
      return `local:${location.path}`;
    case "azure-blob":
      return `azure:${location.accountUrl}/${location.container}${prefix}`;
    case "s3":
      return `s3:${location.bucket}${prefix}${location.endpoint ? ` (${location.endpoint})` : ""}`;
  }
}

export interface CredentialOptions {
  connectionString?: string;
  accountKey?: string;
  sas?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** The storage credential flags (each also read from the environment). */
export function withCredentialOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--connection-string <text>", "Azure storage connection string").env(
        "AZURE_STORAGE_CONNECTION_STRING",
      ),
    )
    .addOption(
      new Option("--account-key <key>", "Azure storage account key").env("AZURE_STORAGE_KEY"),
    )
    .addOption(new Option("--sas <token>", "Azure SAS token").env("AZURE_STORAGE_SAS_TOKEN"))
    .addOption(new Option("--access-key-id <id>", "S3 access key id").env("AWS_ACCESS_KEY_ID"))
    .addOption(
      new Option("--secret-access-key <key>", "S3 secret access key").env("AWS_SECRET_ACCESS_KEY"),
    );
}

/** The credentials for `location` from the flags / environment. */
export function credentialsFor(
  location: DatasetLocation,
  options: CredentialOptions,
): StorageCredentials {
  if (location.kind === "azure-blob") {
    if (options.accountKey) {
      const account = new URL(location.accountUrl);
      const name =
        account.pathname.split("/").find((p) => p !== "") ?? account.hostname.split(".")[0]!;
      return { kind: "azure-shared-key", accountName: name, accountKey: options.accountKey };
    }
    if (options.connectionString) {
      return { kind: "azure-connection-string", connectionString: options.connectionString };
    }
    if (options.sas) return { kind: "azure-sas", sas: options.sas };
    return { kind: "none" };
  }
  if (location.kind === "s3") {
    if (options.accessKeyId && options.secretAccessKey) {
      return {
        kind: "s3-static",
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
      };
    }
    throw new UserError(
      "no S3 credentials",
      "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --access-key-id and --secret-access-key",
      "NoCredentials",
    );
  }
  return { kind: "none" };
}

export function openLocation(
  location: DatasetLocation,
  options: CredentialOptions,
): StorageBackend {
  try {
    return openStorage(location, credentialsFor(location, options));
  } catch (error) {
    throw userErrorOf(error) ?? error;
  }
}

/** The owner's key file for the dataset, or a UserError saying how to get one. */
export function ownedDataset(
  ctx: Context,
  profile: Profile,
  contractId: string,
  datasetId: string,
): DatasetKeyFile {
  checkId(contractId, "contract id");
  checkId(datasetId, "dataset id");
  const file = ctx.store.readDatasetKey(profile, contractId, datasetId);
  if (file === undefined) {
    throw new UserError(
      `profile '${profile.name}' has no key for dataset ${contractId}/${datasetId}`,
      `create it with \`cleanroom dataset create ${contractId} ${datasetId} …\` (only its owner holds the key)`,
      "NotOwner",
    );
  }
  return file;
}

/**
 * The dataset's DEK, wherever it is kept: the profile's key file, or the Key Vault secret version
 * it pins. Every command that needs the key goes through here.
 */
export async function datasetDek(file: DatasetKeyFile): Promise<Uint8Array> {
  const ref = file.keyVault;
  if (ref !== undefined) return mapped(() => fetchDek(ref));
  if (file.dek !== undefined) return base64Decode(file.dek);
  throw new UserError(
    `the key file of dataset ${file.contractId}/${file.datasetId} holds no key`,
    "restore it from your backup: without its key the dataset cannot be decrypted",
    "CorruptProfile",
  );
}

/** Who keeps a dataset's DEK: this profile, or a Key Vault secret (never the value). */
export type KeyCustody = { kind: "profile" } | ({ kind: "key-vault" } & KeyVaultSecretRef);

export function keyCustody(file: DatasetKeyFile): KeyCustody {
  if (file.keyVault === undefined) return { kind: "profile" };
  const { vaultUrl, secretName, version } = file.keyVault;
  return { kind: "key-vault", vaultUrl, secretName, version };
}

export function describeCustody(custody: KeyCustody): string {
  return custody.kind === "profile"
    ? "this profile"
    : `Key Vault ${custody.vaultUrl}, secret ${custody.secretName} version ${custody.version}`;
}

/** Whether `path` is a folder (a UserError if it does not exist). */
export async function isFolder(path: string, what: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    throw new UserError(`${what} ${path} does not exist`, "check the path", "NotFound");
  }
}

const FORMAT_HINTS: Record<string, string> = {
  NotEncrypted: "pass a file written by `cleanroom dataset encrypt`",
  UnsupportedVersion: "upgrade cleanroom to read this file",
  WrongKey:
    "the file was encrypted for another dataset or with another key: check the contract and dataset ids and the profile",
  Corrupted: "the file was changed after encryption: download or copy it again",
  Truncated: "the file is incomplete: download or copy it again",
  Extended: "the file has data appended after its end: download or copy it again",
  Reordered: "the file's chunks were rearranged: download or copy it again",
  Changed: "something wrote to the file meanwhile: run the command again once it is done",
};

const STORAGE_HINTS: Record<string, string> = {
  NotFound: "check the dataset's location and that it was uploaded (`cleanroom dataset upload`)",
  Unreachable: "check that the storage endpoint is up and reachable from here",
  AccessDenied:
    "check the storage credentials (AZURE_STORAGE_CONNECTION_STRING, --account-key, --sas, AWS_ACCESS_KEY_ID …)",
  InvalidLocation: LOCATION_HINT,
};

/** The role (Azure RBAC) or access-policy permission a denied Key Vault call needs. */
const KEY_VAULT_ROLES: Record<KeyVaultAction, string> = {
  set: "the 'Key Vault Secrets Officer' role on the vault (or the secret permission 'set' in its access policy)",
  get: "the 'Key Vault Secrets User' role on the vault (or the secret permission 'get' in its access policy)",
  delete:
    "the 'Key Vault Secrets Officer' role on the vault (or the secret permission 'delete' in its access policy)",
};

function keyVaultHint(error: KeyVaultError): string {
  switch (error.code) {
    case "KeyVaultUnreachable":
      return "check the vault URL and that this machine can reach it (network, firewall, private endpoint)";
    case "KeyVaultNotAVault":
    case "InvalidKeyVaultUrl":
      return "pass the vault's own URL, e.g. --key-vault https://<name>.vault.azure.net";
    case "KeyVaultDenied":
      return `give the identity signed in here (az login, managed identity or AZURE_CLIENT_ID) ${KEY_VAULT_ROLES[error.action ?? "get"]}`;
    case "KeyVaultSecretNotFound":
      return "the secret holding the DEK was deleted: recover it (`az keyvault secret recover`) while the vault keeps it; without it the dataset cannot be decrypted";
    case "KeyVaultConflict":
      return "recover the deleted secret (`az keyvault secret recover`) or purge it, then try again";
    case "KeyVaultUnavailable":
      return "Key Vault is throttling or failing: try again in a moment";
    case "KeyVaultCredentialUnavailable":
      return "sign in with `az login`, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or run where a managed identity is assigned";
    case "KeyVaultAuthenticationFailed":
      return "check the credential (AZURE_CLIENT_ID and its secret, or `az login` again)";
    case "KeyVaultInvalidSecret":
      return "the secret was changed outside cleanroom: check the key file's reference (`cleanroom dataset show`)";
  }
}

/** What to do about a file system error (its message already names the path). */
const FILE_HINTS: Record<string, string> = {
  EACCES: "check the permissions of the file or folder named",
  EPERM: "check the permissions of the file or folder named",
  ENOENT: "check the path (a broken symbolic link names a file that is not there)",
  EISDIR: "a folder is where a file was expected: check --in and --out",
  ENOTDIR: "a file is where a folder was expected: check --in and --out",
  EEXIST: "something is already in the way at that path: move it or choose another --out",
  ENAMETOOLONG: "use a shorter path",
  ELOOP: "the path has a loop of symbolic links",
  ENOSPC: "free some space on that disk, or write somewhere else",
  EDQUOT: "free some space on that disk, or write somewhere else",
  EROFS: "that file system is read-only: write somewhere else",
};

/**
 * A format, storage, Key Vault or file system failure as a one-line UserError (undefined for
 * anything else).
 */
export function userErrorOf(error: unknown): UserError | undefined {
  if (error instanceof KeyVaultError) {
    return new UserError(error.message, keyVaultHint(error), error.code);
  }
  if (error instanceof FormatError) {
    return new UserError(error.message, FORMAT_HINTS[error.code], error.code);
  }
  if (error instanceof StorageError) {
    return new UserError(
      error.message.split("\n").join(" "),
      STORAGE_HINTS[error.code],
      error.code,
    );
  }
  if (error instanceof RangeError) return new UserError(error.message, "check --in and --out");
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (error instanceof Error && code !== undefined && code in FILE_HINTS) {
    return new UserError(error.message, FILE_HINTS[code], code);
  }
  return undefined;
}

/** Runs `work`, mapping format and storage failures to one-line errors. */
export async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw userErrorOf(error) ?? error;
  }
}

/** A governance "not found" as a one-line error naming the dataset. */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === "GovernanceError" &&
    (error as Error & { status: number }).status === 404
  );
}
