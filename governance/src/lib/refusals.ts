// Refusals on the audit trail. A non-2xx response applies no write, so `recordRefusal` asks CCF
// to apply this transaction's writes anyway (ccf-runtime.md §2.5). That is only sound when the
// refused action wrote nothing before it threw: handlers run through `audited` decide everything
// before their first write.
import { ApiError } from "./errors.js";
import { recordRefusal } from "./events.js";

/**
 * Runs `action` for a caller known to be a participant of `contractId`; if it refuses, records
 * `<type>.refused` (code and message, never the request body) before the refusal goes out.
 * Only participants' refusals are recorded, so strangers cannot grow a contract's trail.
 */
export function audited<T>(
  contractId: string,
  actor: string,
  type: string,
  subject: string,
  action: () => T,
): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ApiError) {
      recordRefusal(contractId, "governance", {
        type: `${type}.refused`,
        actor,
        subject,
        details: { status: error.status, code: error.code, message: error.message },
      });
    }
    throw error;
  }
}
