/**
 * Errors the CLI shows to people. A `UserError` is a mistake the user can fix: one line and a
 * hint, exit code 1. Anything else is a fault of ours: one line naming it, exit code 2.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly code = "UsageError",
  ) {
    super(message);
  }
}

export const EXIT_USER_ERROR = 1;
export const EXIT_INTERNAL_ERROR = 2;

/** What to do about a governance refusal or transport failure, by its code. */
const GOVERNANCE_HINTS: Readonly<Record<string, string>> = {
  Unreachable:
    "check that the consortium is running (`cleanroom consortium show`) and the profile's endpoint",
  CertificateMismatch:
    "pin the consortium's current service certificate (from its operator) in this profile",
  Timeout: "the service is slow or stuck: try again, or check `cleanroom consortium show`",
  ConnectionLost:
    "check with a read (e.g. `cleanroom status`) whether it was applied before retrying",
  InvalidResponse: "the endpoint may not be a cleanroom governance service: check its URL",
  Unauthorized: "this profile's certificate is not registered: accept an invitation first",
  Forbidden: "this persona may not do that: check `cleanroom status`",
};

/**
 * A failure reported by the governance client (duck-typed: status, code, message), as a
 * UserError when the user can act on it, or undefined when it is a fault (a 5xx).
 */
export function userErrorFromGovernance(error: unknown): UserError | undefined {
  if (!(error instanceof Error) || error.name !== "GovernanceError") return undefined;
  const { status, code } = error as Error & { status: number; code: string };
  if (status >= 500) return undefined;
  const detail = (error as { detailMessage?: string }).detailMessage ?? error.message;
  const line = detail.split("\n").join(" ");
  return new UserError(
    status === 0 ? line : `${code}: ${line}`,
    GOVERNANCE_HINTS[code] ?? (status === 401 ? GOVERNANCE_HINTS["Unauthorized"] : undefined),
    code,
  );
}
