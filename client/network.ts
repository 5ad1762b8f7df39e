/**
 * What a failed connection's error code means, for every client of this package (governance,
 * storage, STS, Key Vault): one list, so the same failure reads the same everywhere.
 */

/** Nothing got through: name resolution, TCP, or the request could not be sent. */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  // undici (fetch) and the Azure SDK's names for the same
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "REQUEST_SEND_ERROR",
]);

/** Connected, but the peer's TLS certificate is not one this machine trusts for that name. */
const CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export const isConnectionCode = (code: string): boolean => CONNECTION_CODES.has(code);
export const isCertificateCode = (code: string): boolean => CERTIFICATE_CODES.has(code);

/**
 * The first code on `error`, its causes or an AggregateError's errors that `matches`. SDKs wrap
 * the socket's error, sometimes several levels deep.
 */
function findCode(error: unknown, matches: (code: string) => boolean): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const record = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof record.code === "string" && matches(record.code)) return record.code;
    if (Array.isArray(record.errors)) {
      for (const inner of record.errors) {
        const code = findCode(inner, matches);
        if (code !== undefined) return code;
      }
    }
    current = record.cause;
  }
  return undefined;
}

/** The code of a failed connection found on `error` (see CONNECTION_CODES), if any. */
export const connectionCode = (error: unknown): string | undefined =>
  findCode(error, isConnectionCode);

/** The code of an untrusted certificate found on `error` (see CERTIFICATE_CODES), if any. */
export const certificateCode = (error: unknown): string | undefined =>
  findCode(error, isCertificateCode);
