// The engine's one error type, and how DuckDB's messages are cleaned before they leave it: DuckDB
// quotes data values in its messages (conversion errors, CSV errors, `error()`), and a message
// reaches logs, run events and the run's failure reason.
import { IDENTIFIER_PATTERN } from "../../contracts/src/dataset.js";
import type { EngineErrorCode } from "./types.js";

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

const MAX_MESSAGE = 600;
const REDACTED = "<redacted>";

/** Invalid Input Errors whose whole text DuckDB writes (others may be `error()` text). */
const SAFE_INPUT_ERRORS = [
  /^Invalid Input Error: Cannot prepare multiple statements at once!$/,
  /^Invalid Input Error: Cannot change configuration option "\w+" - the configuration has been locked$/,
];

/**
 * A DuckDB message without data values: single-quoted text and numbers are replaced, double-quoted
 * text is kept only when it is a name the engine knows (a view, column or segment), and messages of
 * kinds whose text the SQL controls (`error('…')` raises "Invalid Input Error: …") keep only
 * their kind.
 */
export function redact(message: string, knownNames: ReadonlySet<string>): string {
  const kind = /^([A-Za-z ]+ Error):/.exec(message)?.[1];
  if (kind === "Invalid Input Error" && !SAFE_INPUT_ERRORS.some((safe) => safe.test(message))) {
    return `${kind}: details withheld (the text may quote data)`;
  }
  const cleaned = message
    .replace(/'(?:[^']|'')*'/g, `'${REDACTED}'`)
    .replace(/"([^"\n]*)"/g, (quoted, inner: string) =>
      IDENTIFIER_PATTERN.test(inner) && knownNames.has(inner.toLowerCase())
        ? quoted
        : `"${REDACTED}"`,
    )
    .replace(/(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])/gi, "<n>");
  return cleaned.length > MAX_MESSAGE ? `${cleaned.slice(0, MAX_MESSAGE)}…` : cleaned;
}

/** The text of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
