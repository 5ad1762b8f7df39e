// Why a run failed, as governance records it: `<code>: <message>`. Only errors whose messages are
// written to carry no data values or secrets (governance refusals, the engine's, storage, the
// encrypted format, our own) keep their message; anything else is reported by its kind only.
import { GovernanceError } from "../../client/governance/transport.js";
import { FormatError } from "../../client/format/errors.js";
import { StorageError } from "../../client/storage/types.js";
import { EngineError } from "../engine/index.js";
import { AttestationError } from "./attestation.js";

/** A refusal of the runtime itself, in governance's style: a code and a reason without secrets. */
export class RunError extends Error {
  override readonly name = "RunError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Error classes whose `code` and `message` are written to be safe to report. */
const REPORTABLE: (abstract new (...args: never[]) => Error & { code: string })[] = [
  RunError,
  GovernanceError,
  FormatError,
  StorageError,
  EngineError,
  AttestationError,
];

const MAX_REASON = 4000;

/** The code and reason of a failure, safe for governance's record and the log. */
export function failureOf(error: unknown): { code: string; reason: string } {
  const known = REPORTABLE.find((errorClass) => error instanceof errorClass);
  if (known !== undefined) {
    const { code, message } = error as Error & { code: string };
    return { code, reason: `${code}: ${message}`.slice(0, MAX_REASON) };
  }
  const kind = error instanceof Error ? error.name : typeof error;
  return {
    code: "RuntimeError",
    reason: `RuntimeError: the run failed inside the runtime (${kind}).`,
  };
}
