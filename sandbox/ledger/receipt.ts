/**
 * Receipts, as CCF's `GET /app/receipt?transaction_id=<view>.<seqno>` returns them
 * (describe_receipt_v1; ccf-runtime.md §6; doc/use_apps/verify_tx.rst):
 *
 *   {cert, leaf_components: {claims_digest, commit_evidence, write_set_digest}, node_id,
 *    proof: [{left|right: hex}], signature}
 *
 * for an ordinary transaction, and for a signature transaction
 *
 *   {cert, leaf, node_id, proof: [], signature}
 *
 * where `leaf` is the signed root itself (not the digest of the signature transaction). Keys come
 * in nlohmann::json's sorted order, as CCF serialises them. `claims_digest` is always present (all
 * zero when the transaction set none), as current CCF emits it. `service_endorsements` is omitted:
 * CCF adds it only after a recovery changed the service identity, which the sandbox never does.
 *
 * Verification (for readers): leaf = SHA-256(write_set_digest ‖ SHA-256(commit_evidence) ‖
 * claims_digest); fold the proof; verify `signature` (DER ECDSA, the root taken as the digest)
 * with `cert`; check `cert` is issued by the service certificate.
 */
import type { LedgerHistory } from "./history.js";
import type { ProofStep } from "./merkle.js";
import type { LedgerSecret } from "./secret.js";

export interface LeafComponents {
  claims_digest: string;
  commit_evidence: string;
  write_set_digest: string;
}

export interface Receipt {
  cert: string;
  /** Signature transactions only: the signed root. */
  leaf?: string;
  /** Ordinary transactions only. */
  leaf_components?: LeafComponents;
  node_id: string;
  proof: ProofStep[];
  /** Base64 of the DER ECDSA signature over the root. */
  signature: string;
}

/**
 * The receipt for transaction `seqno`, or undefined when it is not (yet) covered by a durable
 * signature or does not exist. The caller checks the requested view against `history.viewOf`.
 */
export function buildReceipt(
  history: LedgerHistory,
  secret: LedgerSecret,
  seqno: number,
): Receipt | undefined {
  const view = history.viewOf(seqno);
  if (view === undefined) return undefined;
  const signature = history.coveringSignature(seqno);
  if (!signature) return undefined;
  const common = {
    cert: signature.certPem,
    node_id: signature.nodeId,
    signature: signature.signature.toString("base64"),
  };
  if (signature.seqno === seqno) {
    return {
      cert: common.cert,
      leaf: signature.root.toString("hex"),
      node_id: common.node_id,
      proof: [],
      signature: common.signature,
    };
  }
  return {
    cert: common.cert,
    leaf_components: {
      claims_digest: Buffer.from(history.claimsDigest(seqno)).toString("hex"),
      commit_evidence: secret.commitEvidence(view, seqno),
      write_set_digest: history.writeSetDigest(seqno).toString("hex"),
    },
    node_id: common.node_id,
    proof: history.tree.proof(seqno, signature.seqno),
    signature: common.signature,
  };
}
