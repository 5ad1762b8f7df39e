// Keys governance holds: key-encryption keys (KEKs: RSA-OAEP, owners wrap their datasets' DEKs to
// them) and the statement key that signs run statements (EC P-384). Both are generated inside
// governance; their private halves live only in private tables (encrypted in the ledger, never
// returned). Nothing here decides who gets a key: the release endpoints do.
import { ccf } from "@microsoft/ccf-app/global.js";
import { RELEASE_WRAPPING } from "../../../contracts/src/attestation.js";
import type { DatasetEncryption } from "../../../contracts/src/dataset.js";
import { base64Decode } from "../../../contracts/src/encoding.js";
import { sha256Hex, toBuffer } from "../attestation/bytes.js";
import { Tables } from "../tables.js";
import { ApiError } from "./errors.js";
import { appendToList } from "./lists.js";
import { JsonTable } from "./records.js";

/** A KEK's public part, as listed at `/app/keys`. */
export interface KekRecord {
  kekId: string;
  /** RSA public key (SPKI PEM): wrap DEKs to it with RSA-OAEP-256 or RSA-OAEP-AES-KWP. */
  publicKeyPem: string;
  createdAt: string;
  /** The rotation generation it was made for (`rotate_kek` starts the next one). */
  generation: number;
  createdBy: string;
}

/** What `rotate_kek` writes (key `policy`); absent means generation 1. */
export interface KekPolicy {
  generation: number;
  proposalId?: string;
}

/** KEK size: RSA-2048, generated in one request (a 3072-bit key can take most of CCF's 1 s budget). */
export const KEK_BITS = 2048;
export const KEK_LIST = "keks";

export const keks = new JsonTable<KekRecord>(Tables.keks);
const kekPrivateKeys = new JsonTable<{ privateKeyPem: string }>(Tables.kekPrivateKeys);
const kekIndex = new JsonTable<{ kekId: string }>(Tables.kekIndex);
const kekPolicy = new JsonTable<KekPolicy>(Tables.kekPolicy);

export function currentGeneration(): number {
  const generation = kekPolicy.get("policy")?.generation;
  return typeof generation === "number" && Number.isInteger(generation) && generation >= 1
    ? generation
    : 1;
}

/** The KEK made for the current generation, if a member has made it. */
export function currentKek(): KekRecord | undefined {
  const entry = kekIndex.get(`generation/${currentGeneration()}`);
  return entry ? keks.get(entry.kekId) : undefined;
}

/** Makes the current generation's KEK (call only when `currentKek()` is undefined). */
export function createKek(createdBy: string, createdAt: string): KekRecord {
  const generation = currentGeneration();
  const pair = ccf.crypto.generateRsaKeyPair(KEK_BITS);
  const kekId = `kek-${generation}-${sha256Hex(pair.publicKey).slice(0, 12)}`;
  const record: KekRecord = {
    kekId,
    publicKeyPem: pair.publicKey,
    createdAt,
    generation,
    createdBy,
  };
  keks.set(kekId, record);
  kekPrivateKeys.set(kekId, { privateKeyPem: pair.privateKey });
  kekIndex.set(`generation/${generation}`, { kekId });
  appendToList(KEK_LIST, kekId);
  return record;
}

/**
 * A dataset's DEK, unwrapped with the KEK it names: 409 `KekNotFound` when governance holds no
 * such KEK, 409 `DekUnwrapFailed` when the wrapped DEK does not unwrap with it (its owner must
 * publish it again, wrapped to a KEK from `/app/keys`).
 */
export function unwrapDek(encryption: DatasetEncryption): ArrayBuffer {
  const secret = kekPrivateKeys.get(encryption.kekId);
  if (!secret) {
    throw new ApiError(409, "KekNotFound", `Governance holds no KEK ${encryption.kekId}.`);
  }
  const algorithm = encryption.algorithm ?? "RSA-OAEP-256";
  try {
    const wrapped = toBuffer(base64Decode(encryption.wrappedDek));
    const privateKey = ccf.strToBuf(secret.privateKeyPem);
    return algorithm === "RSA-OAEP-AES-KWP"
      ? ccf.crypto.unwrapKey(wrapped, privateKey, { ...RELEASE_WRAPPING })
      : ccf.crypto.unwrapKey(wrapped, privateKey, { name: "RSA-OAEP" });
  } catch {
    throw new ApiError(
      409,
      "DekUnwrapFailed",
      `The dataset's DEK does not unwrap with KEK ${encryption.kekId} (${algorithm}): ` +
        "its owner must publish it again, wrapped to that KEK's public key.",
    );
  }
}

/** Wraps `secret` to a run's bound key (RSA-OAEP-AES-KWP, AES-256), as an ArrayBuffer. */
export function wrapToRunKey(secret: ArrayBuffer, publicKeyPem: string): ArrayBuffer {
  return ccf.crypto.wrapKey(secret, ccf.strToBuf(publicKeyPem), { ...RELEASE_WRAPPING });
}

// ---------------------------------------------------------------------------------------------
// The statement key

export interface StatementKey {
  keyId: string;
  publicKeyPem: string;
  privateKeyPem: string;
  createdAt: string;
}

/** The public part, as served at `GET /app/keys/statement`. */
export type StatementKeyInfo = Omit<StatementKey, "privateKeyPem"> & { algorithm: "ES384" };

const statementKeys = new JsonTable<StatementKey>(Tables.statementKeys);
const STATEMENT_KEY = "current";

export function readStatementKey(): StatementKeyInfo | undefined {
  const key = statementKeys.get(STATEMENT_KEY);
  if (!key) return undefined;
  return {
    keyId: key.keyId,
    publicKeyPem: key.publicKeyPem,
    createdAt: key.createdAt,
    algorithm: "ES384",
  };
}

/** The statement key, generated (EC P-384) on first use. */
export function statementKey(createdAt: string): StatementKey {
  const existing = statementKeys.get(STATEMENT_KEY);
  if (existing) return existing;
  const pair = ccf.crypto.generateEcdsaKeyPair("secp384r1");
  const key: StatementKey = {
    keyId: sha256Hex(pair.publicKey).slice(0, 16),
    publicKeyPem: pair.publicKey,
    privateKeyPem: pair.privateKey,
    createdAt,
  };
  statementKeys.set(STATEMENT_KEY, key);
  return key;
}

/** ES384 signature (IEEE P1363 r‖s) of the UTF-8 text with the statement key. */
export function signStatement(key: StatementKey, text: string): ArrayBuffer {
  return ccf.crypto.sign({ name: "ECDSA", hash: "SHA-384" }, key.privateKeyPem, ccf.strToBuf(text));
}
