/**
 * A dataset's DEK kept as an Azure Key Vault secret instead of in the owner's profile. The
 * profile then holds only a reference (vault, secret name, version); every use fetches that
 * pinned version. Credentials come from `DefaultAzureCredential` (environment variables, workload
 * or managed identity, `az login`, …). Failures become a `KeyVaultError` with a stable code; no
 * message ever carries the secret value or a token.
 */
import { createHash } from "node:crypto";
import type { SecretClient } from "@azure/keyvault-secrets";
import { base64Decode, base64Encode } from "../contracts/src/encoding.js";
import { DEK_SIZE } from "./format/layout.js";
import { certificateCode, connectionCode } from "./network.js";

/** Where a DEK lives in Key Vault: one immutable secret version. */
export interface KeyVaultSecretRef {
  /** The vault, e.g. https://contoso.vault.azure.net (an origin, no path). */
  vaultUrl: string;
  secretName: string;
  version: string;
}

export type KeyVaultErrorCode =
  | "KeyVaultUnreachable"
  | "KeyVaultNotAVault"
  | "KeyVaultDenied"
  | "KeyVaultSecretNotFound"
  | "KeyVaultConflict"
  | "KeyVaultUnavailable"
  | "KeyVaultCredentialUnavailable"
  | "KeyVaultAuthenticationFailed"
  | "KeyVaultInvalidSecret"
  | "InvalidKeyVaultUrl";

/** What was being done when Key Vault failed: decides which permission a denial is about. */
export type KeyVaultAction = "set" | "get" | "delete";

export class KeyVaultError extends Error {
  override readonly name = "KeyVaultError";
  constructor(
    readonly code: KeyVaultErrorCode,
    message: string,
    readonly action?: KeyVaultAction,
  ) {
    super(message);
  }
}

/** What the secret holds, for people browsing the vault (never the value itself). */
export const DEK_CONTENT_TYPE = "application/vnd.cleanroom.dek; encoding=base64";

const MAX_NAME = 127;
/** Fixed width so that the readable part can be cut without making names collide. */
const DIGEST_HEX = 16;
const PREFIX = "cleanroom-dek";

/** Keeps letters and digits, turns runs of anything else into one dash, trims dashes. */
function readable(id: string, max: number): string {
  return id
    .replace(/[^A-Za-z0-9]+/g, "-")
    .slice(0, max)
    .replace(/^-+|-+$/g, "");
}

/**
 * The secret name for a dataset's DEK: `cleanroom-dek-<contract>-<dataset>-<digest>`, within Key
 * Vault's rules (letters, digits and dashes, at most 127). The readable part may lose characters
 * ('.', '_') and length; the digest of the exact ids keeps distinct datasets apart.
 */
export function dekSecretName(contractId: string, datasetId: string): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([contractId, datasetId]))
    .digest("hex")
    .slice(0, DIGEST_HEX);
  const room = Math.floor((MAX_NAME - PREFIX.length - DIGEST_HEX - 3) / 2);
  const parts = [PREFIX, readable(contractId, room), readable(datasetId, room), digest];
  return parts.filter((part) => part !== "").join("-");
}

/** The vault's origin from `text`: an https URL with no path, query or credentials. */
export function parseVaultUrl(text: string): string {
  const invalid = (why: string) =>
    new KeyVaultError("InvalidKeyVaultUrl", `invalid vault URL: ${why}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid("not a URL");
  }
  // The text is echoed only once it is known to carry no credentials.
  if (url.username || url.password) throw invalid("it carries a user name or password");
  if (url.protocol !== "https:") throw invalid(`'${text}' is not https`);
  if (url.search || url.hash || url.pathname !== "/") {
    throw invalid(`'${text}' has more than a host (no path or query)`);
  }
  return url.origin;
}

/** Fail fast: a command should not hang on a dead vault (the SDK's default retries for several seconds). */
const RETRY = { maxRetries: 2, retryDelayInMs: 250, maxRetryDelayInMs: 1000 };

/** Loaded on first use: the SDK adds ~0.3 s to start-up, which other commands should not pay. */
async function clientFor(vaultUrl: string): Promise<SecretClient> {
  const [{ DefaultAzureCredential }, { SecretClient }] = await Promise.all([
    import("@azure/identity"),
    import("@azure/keyvault-secrets"),
  ]);
  return new SecretClient(vaultUrl, new DefaultAzureCredential(), { retryOptions: RETRY });
}

interface SdkError {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
}

/** The service's own one-line explanation (it names permissions, never values). */
function serviceLine(error: SdkError): string {
  const line = (error.message ?? "").split("\n")[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

const DOING: Record<KeyVaultAction, string> = {
  set: "store",
  get: "read",
  delete: "delete",
};

/** An SDK failure as a KeyVaultError (undefined when it is none of the known kinds). */
function keyVaultErrorOf(
  caught: unknown,
  action: KeyVaultAction,
  vaultUrl: string,
  secretName: string,
): KeyVaultError | undefined {
  if (!(caught instanceof Error)) return undefined;
  const error = caught as SdkError;
  const what = `secret '${secretName}' in ${vaultUrl}`;
  const fail = (code: KeyVaultErrorCode, message: string) =>
    new KeyVaultError(code, message, action);
  if (
    error.name === "CredentialUnavailableError" ||
    error.name === "AggregateAuthenticationError"
  ) {
    return fail("KeyVaultCredentialUnavailable", `no Azure credential to ${DOING[action]} ${what}`);
  }
  if (error.name === "AuthenticationError") {
    return fail(
      "KeyVaultAuthenticationFailed",
      `the Azure sign-in service refused this machine's credential (to ${DOING[action]} ${what})`,
    );
  }
  if (/challenge resource .* does not match/.test(error.message ?? "")) {
    return fail(
      "KeyVaultNotAVault",
      `${vaultUrl} did not answer as an Azure Key Vault for its host`,
    );
  }
  const status = error.statusCode;
  if (status === undefined) {
    // A vault whose certificate this machine does not trust is as good as unreachable.
    const code = connectionCode(caught) ?? certificateCode(caught);
    if (code !== undefined)
      return fail("KeyVaultUnreachable", `cannot reach ${vaultUrl} (${code})`);
    return undefined;
  }
  const detail = serviceLine(error);
  const said = detail ? `: ${detail}` : "";
  if (status === 401 || status === 403) {
    return fail(
      "KeyVaultDenied",
      `Key Vault denied this identity to ${DOING[action]} ${what} (${status})${said}`,
    );
  }
  if (status === 404) {
    return fail("KeyVaultSecretNotFound", `${what} does not exist (or not this version)`);
  }
  if (status === 409) {
    return fail("KeyVaultConflict", `${what} is deleted but recoverable${said}`);
  }
  if (status === 429 || status >= 500) {
    return fail("KeyVaultUnavailable", `${vaultUrl} is busy or failing (${status})${said}`);
  }
  return undefined;
}

async function calling<T>(
  action: KeyVaultAction,
  vaultUrl: string,
  secretName: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw keyVaultErrorOf(error, action, vaultUrl, secretName) ?? error;
  }
}

/** What the secret's tags say: what it is and whose (ids only). */
export interface DekLabels {
  contractId: string;
  datasetId: string;
}

/** Stores `dek` as a new version of its dataset's secret and returns the pinned reference. */
export async function storeDek(
  vaultUrl: string,
  dek: Uint8Array,
  labels: DekLabels,
): Promise<KeyVaultSecretRef> {
  const secretName = dekSecretName(labels.contractId, labels.datasetId);
  const secret = await calling("set", vaultUrl, secretName, async () =>
    (await clientFor(vaultUrl)).setSecret(secretName, base64Encode(dek), {
      contentType: DEK_CONTENT_TYPE,
      tags: {
        "cleanroom-kind": "dataset-dek",
        "cleanroom-contract": labels.contractId,
        "cleanroom-dataset": labels.datasetId,
      },
    }),
  );
  const version = secret.properties.version;
  if (!version) {
    throw new KeyVaultError(
      "KeyVaultNotAVault",
      `${vaultUrl} stored the secret but gave no version`,
    );
  }
  return { vaultUrl, secretName, version };
}

/** The DEK held in the pinned secret version. */
export async function fetchDek(ref: KeyVaultSecretRef): Promise<Uint8Array> {
  const secret = await calling("get", ref.vaultUrl, ref.secretName, async () =>
    (await clientFor(ref.vaultUrl)).getSecret(ref.secretName, { version: ref.version }),
  );
  let dek: Uint8Array | undefined;
  try {
    dek = base64Decode(secret.value ?? "");
  } catch {
    dek = undefined;
  }
  if (dek?.length !== DEK_SIZE) {
    throw new KeyVaultError(
      "KeyVaultInvalidSecret",
      `secret '${ref.secretName}' version ${ref.version} in ${ref.vaultUrl} does not hold a 256-bit key`,
      "get",
    );
  }
  return dek;
}

/** Deletes the dataset's secret (soft delete where the vault has it enabled). */
export async function deleteDekSecret(ref: Pick<KeyVaultSecretRef, "vaultUrl" | "secretName">) {
  await calling("delete", ref.vaultUrl, ref.secretName, async () =>
    (await clientFor(ref.vaultUrl)).beginDeleteSecret(ref.secretName),
  );
}
