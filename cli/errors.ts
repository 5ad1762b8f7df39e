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
