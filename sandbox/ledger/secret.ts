/**
 * The ledger secret: 32 random bytes from which the ledger's private-domain encryption key, the
 * synthetic-IV key and the commit-evidence nonces are derived (ccf-runtime.md §6).
 *
 * Documented weakening vs CCF: CCF keeps ledger secrets only inside the enclave (and in recovery
 * shares encrypted to members); the sandbox keeps its one ledger secret in the workspace
 * (`ledger_secret`, hex, mode 0600) so that a restarted sandbox can decrypt its own ledger.
 */
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export const LEDGER_SECRET_BYTES = 32;

export class LedgerSecret {
  /** AES-256-GCM key of the private domain. */
  readonly encryptionKey: Buffer;
  /** HMAC key deriving each entry's synthetic IV. */
  readonly ivKey: Buffer;
  /** HMAC key deriving each transaction's commit-evidence nonce. */
  private readonly commitKey: Buffer;

  constructor(secret: Uint8Array) {
    if (!(secret instanceof Uint8Array) || secret.byteLength !== LEDGER_SECRET_BYTES) {
      throw new RangeError(`A ledger secret is ${LEDGER_SECRET_BYTES} bytes.`);
    }
    const derive = (info: string) =>
      Buffer.from(hkdfSync("sha256", secret, new Uint8Array(0), info, 32));
    this.encryptionKey = derive("cleanroom ledger: private domain encryption");
    this.ivKey = derive("cleanroom ledger: private domain synthetic iv");
    this.commitKey = derive("cleanroom ledger: commit evidence");
  }

  /** `ce:<view>.<seqno>:<64 hex>`: revealed in receipts, committed to (hashed) in the leaf. */
  commitEvidence(view: number, seqno: number): string {
    const txId = `${view}.${seqno}`;
    return `ce:${txId}:${createHmac("sha256", this.commitKey).update(txId).digest("hex")}`;
  }
}

/** Reads the workspace's ledger secret, creating it (32 random bytes, mode 0600) if absent. */
export function loadOrCreateLedgerSecret(path: string): LedgerSecret {
  if (existsSync(path)) {
    const text = readFileSync(path, "utf8").trim();
    if (!/^[0-9a-f]{64}$/.test(text)) {
      throw new Error(`${path} is not a ledger secret (64 hex digits expected).`);
    }
    return new LedgerSecret(Buffer.from(text, "hex"));
  }
  const secret = randomBytes(LEDGER_SECRET_BYTES);
  // Durable before any entry is encrypted under it: a ledger whose secret was lost is unreadable.
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, `${secret.toString("hex")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return new LedgerSecret(secret);
}
