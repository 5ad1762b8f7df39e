/** Typed errors of the encrypted file format: a stable `code` for programs, a message for people. */

export type FormatErrorCode =
  | "NotEncrypted"
  | "UnsupportedVersion"
  | "WrongKey"
  | "Corrupted"
  | "Truncated"
  | "Extended"
  | "Reordered"
  | "Changed";

export class FormatError extends Error {
  override readonly name = "FormatError";
  /** Stable machine-readable reason; see docs/formats.md for when each is reported. */
  readonly code: FormatErrorCode;
  /** Position (0-based) of the chunk record where the problem was found, if any. */
  readonly chunk: number | undefined;
  /** The file concerned, when the error comes from a file or folder operation. */
  readonly path: string | undefined;

  constructor(
    code: FormatErrorCode,
    message: string,
    details: { chunk?: number; path?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.chunk = details.chunk;
    this.path = details.path;
  }

  /** The same error, naming the file it concerns. */
  withPath(path: string): FormatError {
    if (this.path !== undefined) return this;
    const error = new FormatError(this.code, `${path}: ${this.message}`, {
      path,
      cause: this.cause,
      ...(this.chunk === undefined ? {} : { chunk: this.chunk }),
    });
    error.stack = this.stack;
    return error;
  }
}
