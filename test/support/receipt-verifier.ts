/**
 * Test-only: an independent verifier of CCF receipts, written from CCF's rules
 * (doc/use_apps/verify_tx.rst, python/src/ccf/receipt.py). It deliberately imports nothing from
 * the ledger: node:crypto for hashing and certificates, @noble/curves only because node:crypto
 * cannot verify ECDSA over a prehashed digest. Throws an AssertionError saying what failed.
 */
import assert from "node:assert/strict";
import { X509Certificate, createHash } from "node:crypto";
import { p384 } from "@noble/curves/nist.js";

export type Step = { left: string } | { right: string };
export interface ReceiptJson {
  cert: string;
  leaf?: string;
  leaf_components?: { claims_digest: string; commit_evidence: string; write_set_digest: string };
  node_id: string;
  proof: Step[];
  signature: string;
}

export const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return h.digest();
};

export function verifyReceipt(receipt: ReceiptJson, serviceCertPem: string): void {
  // 1–2. The leaf: given (signature transactions) or rebuilt from its components.
  let leaf: Buffer;
  if (receipt.leaf_components) {
    const { write_set_digest, commit_evidence, claims_digest } = receipt.leaf_components;
    leaf = sha256(
      Buffer.from(write_set_digest, "hex"),
      sha256(Buffer.from(commit_evidence, "utf8")),
      Buffer.from(claims_digest, "hex"),
    );
  } else {
    assert.ok(receipt.leaf, "a receipt has leaf or leaf_components");
    assert.deepEqual(receipt.proof, []);
    leaf = Buffer.from(receipt.leaf, "hex");
  }
  // 3. Fold the proof into the root.
  let root = leaf;
  for (const step of receipt.proof) {
    root =
      "left" in step
        ? sha256(Buffer.from(step.left, "hex"), root)
        : sha256(root, Buffer.from(step.right, "hex"));
  }
  // 4. The signature over the root (used as the digest), with the node certificate's key.
  const cert = new X509Certificate(receipt.cert);
  const jwk = cert.publicKey.export({ format: "jwk" });
  assert.equal(jwk.crv, "P-384");
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, "base64url"),
    Buffer.from(jwk.y!, "base64url"),
  ]);
  const signature = Buffer.from(receipt.signature, "base64");
  const valid = p384.verify(signature, root, point, { prehash: false, format: "der", lowS: false });
  assert.ok(valid, "signature over the root does not verify");
  // The node id is the digest of the signing key.
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  assert.equal(receipt.node_id, sha256(spki).toString("hex"), "node id does not match cert");
  // 5. The node certificate is endorsed by the service identity.
  const service = new X509Certificate(serviceCertPem);
  assert.ok(cert.checkIssued(service) && cert.verify(service.publicKey), "cert not endorsed");
}
