/**
 * Test-only entry of the independent CCF receipt verifier. The one implementation lives in
 * client/receipts.ts (the CLI's `audit verify` uses it too); it imports nothing from the ledger
 * and throws a ReceiptError saying which check failed.
 */
export {
  ReceiptError,
  receiptRoot,
  sha256,
  verifyReceipt,
  type ReceiptJson,
  type Step,
} from "../../client/receipts.js";
