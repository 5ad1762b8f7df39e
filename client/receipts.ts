/**
 * CCF receipts, verified offline: proof that a transaction is in the signed, committed ledger of
 * the service whose certificate is pinned. Written from CCF's rules (ccf-runtime.md §6,
 * doc/use_apps/verify_tx.rst) and independent of the sandbox's ledger code:
 *
 *   1. the leaf is given (signature transactions) or rebuilt from its components,
 *      SHA-256(write_set_digest ‖ SHA-256(commit_evidence) ‖ claims_digest);
 *   2. the proof is folded into the Merkle root;
 *   3. the node's ECDSA P-384 signature is over the root itself (a prehashed digest, DER);
 *   4. the node id is SHA-256 of the node key's SPKI, and the node certificate is endorsed by the
 *      service certificate.
 *
 * node:crypto does hashing and certificates; @noble/curves only because node:crypto cannot verify
 * ECDSA over a digest it did not compute.
 */
import { X509Certificate, createHash } from "node:crypto";
import { p384 } from "@noble/curves/nist.js";
import { waitForCommit, type WaitOptions } from "./governance/gov.js";
import { GovernanceError, type Transport } from "./governance/transport.js";

export type Step = { left: string } | { right: string };

export interface ReceiptJson {
  cert: string;
  leaf?: string;
  leaf_components?: { claims_digest: string; commit_evidence: string; write_set_digest: string };
  node_id: string;
  proof: Step[];
  signature: string;
}

/** A receipt that does not prove its transaction; the message says which check failed. */
export class ReceiptError extends Error {
  override readonly name = "ReceiptError";
}

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return h.digest();
};

const HEX32 = /^[0-9a-f]{64}$/i;

function hex32(value: unknown, what: string): Buffer {
  if (typeof value !== "string" || !HEX32.test(value)) {
    throw new ReceiptError(`receipt ${what} is not a 32-byte hex digest`);
  }
  return Buffer.from(value, "hex");
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ReceiptError(message);
}

/** The Merkle root a receipt proves (steps 1–2), or a ReceiptError if it is malformed. */
export function receiptRoot(receipt: ReceiptJson): Buffer {
  check(typeof receipt === "object" && receipt !== null, "a receipt is a JSON object");
  check(Array.isArray(receipt.proof), "receipt proof is not a list");
  let leaf: Buffer;
  if (receipt.leaf_components) {
    const { write_set_digest, commit_evidence, claims_digest } = receipt.leaf_components;
    check(typeof commit_evidence === "string", "receipt commit evidence is not a string");
    leaf = sha256(
      hex32(write_set_digest, "write set digest"),
      sha256(Buffer.from(commit_evidence, "utf8")),
      hex32(claims_digest, "claims digest"),
    );
  } else {
    check(receipt.leaf !== undefined, "a receipt has leaf or leaf_components");
    check(receipt.proof.length === 0, "a receipt with a bare leaf has an empty proof");
    leaf = hex32(receipt.leaf, "leaf");
  }
  let root = leaf;
  for (const step of receipt.proof) {
    check(typeof step === "object" && step !== null, "receipt proof step is not an object");
    root =
      "left" in step
        ? sha256(hex32(step.left, "proof step"), root)
        : sha256(root, hex32((step as { right?: unknown }).right, "proof step"));
  }
  return root;
}

function certificate(pem: unknown, what: string): X509Certificate {
  try {
    return new X509Certificate(pem as string);
  } catch {
    throw new ReceiptError(`${what} is not a PEM certificate`);
  }
}

/**
 * Verifies `receipt` against the pinned service certificate; throws a ReceiptError naming the
 * check that failed (`signature …`, `… endorsed …`, `node id …`).
 */
export function verifyReceipt(receipt: ReceiptJson, serviceCertPem: string): void {
  const root = receiptRoot(receipt);
  const cert = certificate(receipt.cert, "receipt cert");
  const jwk = cert.publicKey.export({ format: "jwk" });
  check(jwk.crv === "P-384", `the node key is ${jwk.crv ?? jwk.kty}, not P-384`);
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, "base64url"),
    Buffer.from(jwk.y!, "base64url"),
  ]);
  check(typeof receipt.signature === "string", "receipt signature is not a string");
  let valid: boolean;
  try {
    valid = p384.verify(Buffer.from(receipt.signature, "base64"), root, point, {
      prehash: false,
      format: "der",
      lowS: false,
    });
  } catch {
    valid = false;
  }
  check(valid, "signature over the root does not verify");
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  check(receipt.node_id === sha256(spki).toString("hex"), "node id does not match cert");
  const service = certificate(serviceCertPem, "the service certificate");
  check(
    cert.checkIssued(service) && cert.verify(service.publicKey),
    "node cert not endorsed by the service certificate",
  );
}

export interface FetchReceiptOptions {
  /** How long to wait for the transaction to commit. Default 30 s. */
  commit?: WaitOptions;
  /** How many times to ask again while the node loads the transaction (202). Default 50. */
  attempts?: number;
  /** Wait between those attempts, when the reply has no Retry-After. Default 100 ms. */
  pollMs?: number;
}

/**
 * The receipt of `transactionId` (`GET /app/receipt`, no authentication): waits until the
 * transaction is committed, then asks until the node has loaded it (202 while it does).
 */
export async function fetchReceipt(
  transport: Transport,
  transactionId: string,
  options: FetchReceiptOptions = {},
): Promise<ReceiptJson> {
  await waitForCommit(transport, transactionId, options.commit);
  const attempts = options.attempts ?? 50;
  for (let attempt = 0; ; attempt++) {
    const reply = await transport.request<ReceiptJson>({
      method: "GET",
      path: "/app/receipt",
      query: { transaction_id: transactionId },
    });
    if (reply.status === 200) return reply.body;
    if (attempt + 1 >= attempts) {
      throw new GovernanceError(
        0,
        "Timeout",
        `The receipt of transaction ${transactionId} is still not ready (status ${reply.status}).`,
      );
    }
    const retryAfter = Number(reply.headers["retry-after"]);
    const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(delay ?? options.pollMs ?? 100, 2000)),
    );
  }
}
