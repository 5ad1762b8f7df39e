/** The request and response shapes passed between the HTTP host thread and the engine. */

export interface HttpRequest {
  method: string;
  /** Path without the query string, as sent (not percent-decoded). */
  path: string;
  /** Raw query string without `?`; empty if none. */
  query: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** DER of the TLS client certificate, if the client presented one. */
  clientCertDer?: Uint8Array;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface ErrorDetail {
  code: string;
  message: string;
  [field: string]: string;
}

/** CCF's OData-style error response: `{"error":{"code","message"[,"details"]}}`. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  details?: ErrorDetail[],
  headers: Record<string, string> = {},
): HttpResponse {
  const error = details ? { code, message, details } : { code, message };
  return jsonResponse(status, { error }, headers);
}

export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: Buffer.from(JSON.stringify(value), "utf8"),
  };
}
