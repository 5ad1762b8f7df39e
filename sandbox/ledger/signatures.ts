/**
 * Signature transactions (ccf-runtime.md §6; CCF's history.h and service/tables/signatures.h):
 * every `txCount` transactions or `delayMs` milliseconds, whichever first (CCF defaults: 5000 tx,
 * 1000 ms), the node signs the root of the Merkle tree over every transaction before the signature
 * transaction (leaves 0..seqno-1) and writes
 *
 * - `public:ccf.internal.signatures`, key = 8 zero bytes (a CCF single-value table), value = JSON
 *   of CCF's PrimarySignature: `{cert, commit_seqno: 0, commit_view: 0, hashed_nonce: 64 zeros,
 *   node, root (hex), seqno, sig (base64), view}` (keys in nlohmann::json's sorted order; commit_*
 *   are deprecated and always 0 in CCF; the nonce is only used by BFT and is zero);
 * - `public:ccf.internal.tree`, same key, value = the Merkle tree serialised with merklecpp's format
 *   from the previous signature's seqno to seqno-1 (see MerkleTree.serialise).
 *
 * The signature: CCF signs the 32-byte root *as the digest* (`sign_hash`, no further hashing) with
 * the node's EC key, and verifiers use `ECDSA(Prehashed(SHA256))` over the root
 * (python/src/ccf/receipt.py). The encoding is DER (ASN.1 SEQUENCE of r, s, as OpenSSL produces and
 * the python `cryptography` verifier takes), base64 in JSON — not IEEE P1363 r‖s. Node's crypto
 * cannot sign or verify a prehashed digest (it always hashes), so this uses @noble/curves' P-384
 * ECDSA with `prehash: false` (RFC 6979 deterministic nonces; `lowS: false` since OpenSSL neither
 * produces nor requires low-S signatures).
 */
import {
  KeyObject,
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
} from "node:crypto";
import { p384 } from "@noble/curves/nist.js";
import { bytesToKey, type WriteSet } from "../kv/store.js";
import { SIGNATURES_TABLE, TREE_TABLE } from "./entry.js";

/** The key of CCF's single-value tables: 8 zero bytes. */
export const SINGLE_VALUE_KEY = bytesToKey(new Uint8Array(8));
const ZERO_NONCE = "0".repeat(64);

/** The node's signing identity: its P-384 key and its certificate endorsed by the service. */
export interface SigningIdentity {
  /** Hex SHA-256 of the node's public key (SPKI DER), as CCF's node id. */
  nodeId: string;
  certPem: string;
  privateKey: KeyObject | string;
}

/** One signature transaction, as recorded in the ledger. */
export interface SignatureRecord {
  view: number;
  seqno: number;
  /** Root of the Merkle tree over leaves 0..seqno-1. */
  root: Buffer;
  /** DER-encoded ECDSA signature over `root`. */
  signature: Buffer;
  nodeId: string;
  certPem: string;
}

function p384Scalar(key: KeyObject | string): Uint8Array {
  const object = typeof key === "string" ? createPrivateKey(key) : key;
  const jwk = object.export({ format: "jwk" });
  if (object.type !== "private" || jwk.kty !== "EC" || jwk.crv !== "P-384" || !jwk.d) {
    throw new TypeError("The node signing key must be an EC P-384 private key.");
  }
  return Buffer.from(jwk.d, "base64url");
}

function p384Point(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty !== "EC" || jwk.crv !== "P-384" || !jwk.x || !jwk.y) {
    throw new TypeError("Expected an EC P-384 public key.");
  }
  return Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x, "base64url"),
    Buffer.from(jwk.y, "base64url"),
  ]);
}

/** ECDSA P-384 over the 32-byte root used as the digest; DER-encoded. */
export function signRoot(root: Uint8Array, privateKey: KeyObject | string): Buffer {
  if (root.byteLength !== 32) throw new RangeError("A Merkle root is 32 bytes.");
  return Buffer.from(
    p384.sign(root, p384Scalar(privateKey), { prehash: false, format: "der", lowS: false }),
  );
}

/** Verifies a DER ECDSA P-384 signature over the root (as the digest) with a key or certificate. */
export function verifyRootSignature(
  root: Uint8Array,
  signature: Uint8Array,
  signer: KeyObject | X509Certificate | string,
): boolean {
  try {
    const key =
      signer instanceof KeyObject
        ? signer
        : (signer instanceof X509Certificate ? signer : new X509Certificate(signer)).publicKey;
    return p384.verify(signature, root, p384Point(key), {
      prehash: false,
      format: "der",
      lowS: false,
    });
  } catch {
    return false;
  }
}

/** CCF's node id of a certificate's (or key's) public key: hex SHA-256 of its SPKI DER. */
export function nodeIdOf(signer: X509Certificate | KeyObject): string {
  const key = signer instanceof X509Certificate ? signer.publicKey : signer;
  const spki = (key.type === "private" ? createPublicKey(key) : key).export({
    type: "spki",
    format: "der",
  });
  return createHash("sha256").update(spki).digest("hex");
}

/** The write set of a signature transaction. `tree` is the serialised Merkle tree segment. */
export function signatureWrites(record: SignatureRecord, tree: Uint8Array): WriteSet {
  // Keys in the order nlohmann::json (std::map) dumps them.
  const value = {
    cert: record.certPem,
    commit_seqno: 0,
    commit_view: 0,
    hashed_nonce: ZERO_NONCE,
    node: record.nodeId,
    root: record.root.toString("hex"),
    seqno: record.seqno,
    sig: record.signature.toString("base64"),
    view: record.view,
  };
  return new Map([
    [
      SIGNATURES_TABLE,
      new Map([[SINGLE_VALUE_KEY, new Uint8Array(Buffer.from(JSON.stringify(value), "utf8"))]]),
    ],
    [TREE_TABLE, new Map([[SINGLE_VALUE_KEY, new Uint8Array(tree)]])],
  ]);
}

/** Reads the signature record of a signature transaction's write set; throws Error if malformed. */
export function parseSignatureWrites(writes: WriteSet): SignatureRecord {
  const raw = writes.get(SIGNATURES_TABLE)?.get(SINGLE_VALUE_KEY);
  if (raw === undefined) throw new Error("no signature in the signatures table");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw).toString("utf8"));
  } catch {
    throw new Error("signature is not JSON");
  }
  const v = value as Record<string, unknown>;
  const isHash = (x: unknown): x is string => typeof x === "string" && /^[0-9a-f]{64}$/.test(x);
  if (
    typeof v !== "object" ||
    v === null ||
    !isHash(v.root) ||
    typeof v.sig !== "string" ||
    typeof v.node !== "string" ||
    typeof v.cert !== "string" ||
    !Number.isSafeInteger(v.seqno) ||
    !Number.isSafeInteger(v.view)
  ) {
    throw new Error("signature record is malformed");
  }
  return {
    view: v.view as number,
    seqno: v.seqno as number,
    root: Buffer.from(v.root, "hex"),
    signature: Buffer.from(v.sig, "base64"),
    nodeId: v.node,
    certPem: v.cert,
  };
}

export interface SignatureSchedule {
  /** Emit a signature after this many transactions without one (CCF: 5000). */
  txCount: number;
  /** Or this long after the first transaction without one (CCF: 1000 ms). */
  delayMs: number;
}

export const DEFAULT_SIGNATURE_SCHEDULE: SignatureSchedule = { txCount: 5000, delayMs: 1000 };

/**
 * Decides when a signature transaction is due; the node, which owns the store and assigns
 * seqnos, emits it when `onDue` is called. Call `committed` after every committed transaction.
 */
export class SignatureScheduler {
  readonly schedule: SignatureSchedule;
  private unsigned = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    schedule: Partial<SignatureSchedule>,
    private readonly onDue: () => void,
  ) {
    this.schedule = { ...DEFAULT_SIGNATURE_SCHEDULE, ...schedule };
    const { txCount, delayMs } = this.schedule;
    if (!Number.isSafeInteger(txCount) || txCount < 1) {
      throw new RangeError("Signature tx count must be a positive integer.");
    }
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError("Signature delay must be a non-negative number of milliseconds.");
    }
  }

  /** Transactions committed since the last signature. */
  get pending(): number {
    return this.unsigned;
  }

  committed(isSignature: boolean): void {
    if (this.stopped) return;
    if (isSignature) {
      this.unsigned = 0;
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    this.unsigned++;
    if (this.unsigned % this.schedule.txCount === 0) {
      // After the current transaction's handler returns, before the next request.
      queueMicrotask(() => this.fire());
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.fire();
      }, this.schedule.delayMs);
      this.timer.unref();
    }
  }

  private fire(): void {
    if (!this.stopped && this.unsigned > 0) this.onDue();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
