/** The sandbox's durable ledger: public entry (see ledger.ts for the wiring into the node). */
export { Ledger, type LedgerOptions } from "./ledger.js";
export { encodeEntry, SIGNATURES_TABLE, TREE_TABLE, type LedgerTransaction } from "./entry.js";
export { LedgerHistory } from "./history.js";
export { MerkleTree, type ProofStep } from "./merkle.js";
export { buildReceipt, type LeafComponents, type Receipt } from "./receipt.js";
export {
  LedgerCorruptError,
  replayLedger,
  type LedgerFileInfo,
  type ReplayOptions,
  type ReplayResult,
  type TornTail,
} from "./replay.js";
export { LEDGER_SECRET_BYTES, LedgerSecret, loadOrCreateLedgerSecret } from "./secret.js";
export {
  DEFAULT_SIGNATURE_SCHEDULE,
  nodeIdOf,
  parseSignatureWrites,
  SignatureScheduler,
  signatureWrites,
  signRoot,
  SINGLE_VALUE_KEY,
  verifyRootSignature,
  type SignatureRecord,
  type SignatureSchedule,
  type SigningIdentity,
} from "./signatures.js";
export { DEFAULT_CHUNK_BYTES, LedgerWriter, type FlushInfo, type WriterStart } from "./writer.js";
