/**
 * HTTPS to a governance service (the sandbox or a CCF network), as CCF's own tooling talks to it:
 * the pinned service certificate is the only trusted CA, a client certificate is presented when
 * the caller has one (mTLS), connections are kept alive, bodies are JSON (or COSE for /gov).
 *
 * Retries are only made where the request certainly did not run, or was refused without running:
 * - the connection failed before the TLS handshake completed (refused, reset, no route), so no
 *   byte of the HTTP request was sent;
 * - a 503 with `Retry-After` (the service said: not now, try later);
 * - and, for reads only (GET/HEAD), a connection lost after the request was sent.
 * A write whose connection broke after it was sent is never repeated: it may have been applied,
 * and the caller is told so (`ConnectionLost`).
 */
import { Agent, request as httpsRequest } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import type { TLSSocket } from "node:tls";
import { isCertificateCode, isConnectionCode } from "../network.js";

/** Codes of failures that happen before a governance error body could be read. */
export const TRANSPORT_CODES = [
  "Unreachable",
  "CertificateMismatch",
  "Timeout",
  "ConnectionLost",
  "InvalidResponse",
  "InvalidRequest",
] as const;
export type TransportCode = (typeof TRANSPORT_CODES)[number];

export interface GovernanceErrorDetail {
  code?: string;
  message: string;
}

/**
 * A refusal from governance (`status` the HTTP status, `code` and `message` from its
 * `{"error":{"code","message","details"?}}` body), or a transport failure (`status` 0 and one of
 * `TRANSPORT_CODES`). Messages never carry keys, codes or request bodies.
 */
export class GovernanceError extends Error {
  override readonly name = "GovernanceError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: GovernanceErrorDetail[],
    /** The URL (origin and path, no query) the request went to. */
    readonly url?: string,
  ) {
    super(message);
  }

  /** The most specific message: the first detail's, else the error's (CCF puts reasons there). */
  get detailMessage(): string {
    return this.details?.[0]?.message ?? this.message;
  }
}

export interface TransportOptions {
  /** The service's address, e.g. `https://127.0.0.1:8000`. */
  url: string;
  /** PEM of the service certificate: the only CA trusted for this connection. */
  serviceCertPem: string;
  /** Client certificate and its private key (PEM), for mTLS; both or neither. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Per request, from sending to the end of the response. Default 30 s. */
  timeoutMs?: number;
  /** How many times a safe failure is retried. Default 4. */
  retries?: number;
  /** First backoff delay; doubles each attempt, with jitter. Default 100 ms. */
  backoffMs?: number;
  /** Longest wait honoured from a `Retry-After` header. Default 10 s. */
  maxRetryAfterMs?: number;
}

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface TransportRequest {
  method: Method;
  /** Absolute path, e.g. `/app/me` (its own query string allowed). */
  path: string;
  /** Query parameters added to the path; undefined values are left out. */
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** A JSON body (sent as application/json). */
  json?: unknown;
  /** A raw body with its content type (e.g. a COSE Sign1 message). */
  body?: { bytes: Uint8Array; contentType: string };
}

export interface TransportResponse<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there is none. */
  body: T;
  /** `x-ms-ccf-transaction-id`: the transaction that served the request. */
  transactionId?: string;
}

const READS: ReadonlySet<Method> = new Set(["GET", "HEAD"]);

interface Attempt {
  response?: TransportResponse;
  /** Why the attempt failed, and whether it is safe to try again. */
  failure?: { error: GovernanceError; retry: boolean; delayMs?: number };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `Retry-After` as milliseconds (delta-seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class Transport {
  readonly origin: string;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(options: TransportOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new GovernanceError(
        0,
        "InvalidRequest",
        `The governance endpoint must be a URL such as https://127.0.0.1:8000, not '${options.url}'.`,
      );
    }
    if (url.protocol !== "https:") {
      throw new GovernanceError(
        0,
        "InvalidRequest",
        `The governance endpoint must be an https:// URL, not '${url.origin}'.`,
      );
    }
    if ((options.clientCertPem === undefined) !== (options.clientKeyPem === undefined)) {
      throw new GovernanceError(
        0,
        "InvalidRequest",
        "A client certificate needs its private key, and a key its certificate.",
      );
    }
    this.origin = url.origin;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 100;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
    this.agent = new Agent({
      keepAlive: true,
      ca: options.serviceCertPem,
      cert: options.clientCertPem,
      key: options.clientKeyPem,
    });
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /** Sends a request and returns its 2xx response, or throws a GovernanceError. */
  async request<T = unknown>(request: TransportRequest): Promise<TransportResponse<T>> {
    const url = this.urlOf(request);
    for (let attempt = 0; ; attempt++) {
      const result = await this.once(request, url);
      if (result.response) return result.response as TransportResponse<T>;
      const failure = result.failure!;
      if (!failure.retry || attempt >= this.retries) throw failure.error;
      const backoff = this.backoffMs * 2 ** attempt;
      await sleep(failure.delayMs ?? backoff / 2 + Math.random() * (backoff / 2));
    }
  }

  private urlOf(request: TransportRequest): URL {
    if (!request.path.startsWith("/")) {
      throw new GovernanceError(
        0,
        "InvalidRequest",
        `Paths start with '/', not '${request.path}'.`,
      );
    }
    const url = new URL(request.path, this.origin);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  private once(request: TransportRequest, url: URL): Promise<Attempt> {
    const where = `${url.origin}${url.pathname}`;
    const headers: Record<string, string> = { accept: "application/json" };
    let payload: Buffer | undefined;
    if (request.body) {
      payload = Buffer.from(request.body.bytes);
      headers["content-type"] = request.body.contentType;
    } else if (request.json !== undefined) {
      payload = Buffer.from(JSON.stringify(request.json), "utf8");
      headers["content-type"] = "application/json";
    }
    headers["content-length"] = String(payload?.length ?? 0);
    const read = READS.has(request.method);

    return new Promise<Attempt>((resolve) => {
      let settled = false;
      // True once the TLS handshake completed: from then on the request may reach the server.
      let handshakeDone = false;
      const settle = (attempt: Attempt) => {
        if (settled) return;
        settled = true;
        resolve(attempt);
      };
      const req = httpsRequest(
        url,
        { method: request.method, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error) => settle(this.lost(error, where, read)));
          res.on("end", () => settle(this.reply(res.statusCode ?? 0, res.headers, chunks, where)));
        },
      );
      req.on("socket", (socket) => {
        const tls = socket as TLSSocket;
        // A reused keep-alive socket has completed its handshake; a new one has not yet.
        if (req.reusedSocket) handshakeDone = true;
        else tls.once("secureConnect", () => (handshakeDone = true));
      });
      req.setTimeout(this.timeoutMs, () => {
        req.destroy();
        settle({
          failure: {
            error: new GovernanceError(
              0,
              "Timeout",
              `No answer from ${where} within ${Math.round(this.timeoutMs / 1000)} s` +
                (read
                  ? "."
                  : "; the change may or may not have been applied: check before retrying."),
              undefined,
              where,
            ),
            retry: false,
          },
        });
      });
      req.on("error", (error: Error & { code?: string }) => {
        const code = error.code ?? "";
        if (isCertificateCode(code)) {
          settle({ failure: { error: mismatch(where, code), retry: false } });
        } else if (!handshakeDone && isConnectionCode(code)) {
          // Nothing of the request was sent: safe to try again, writes included.
          settle({ failure: { error: unreachable(where, code), retry: true } });
        } else if (!handshakeDone) {
          settle({
            failure: {
              error: new GovernanceError(
                0,
                "Unreachable",
                `Cannot open a TLS connection to ${where} (${code || error.message}): check the endpoint and the pinned service certificate.`,
                undefined,
                where,
              ),
              retry: false,
            },
          });
        } else {
          settle(this.lost(error, where, read));
        }
      });
      req.end(payload);
    });
  }

  private lost(error: Error & { code?: string }, where: string, read: boolean): Attempt {
    const why = error.code ?? error.message;
    return {
      failure: {
        error: new GovernanceError(
          0,
          "ConnectionLost",
          read
            ? `The connection to ${where} broke before the answer arrived (${why}).`
            : `The connection to ${where} broke after the request was sent (${why}): the change may or may not have been applied; check before retrying.`,
          undefined,
          where,
        ),
        retry: read,
      },
    };
  }

  private reply(
    status: number,
    headers: IncomingHttpHeaders,
    chunks: Buffer[],
    where: string,
  ): Attempt {
    const text = Buffer.concat(chunks).toString("utf8");
    const txHeader = headers["x-ms-ccf-transaction-id"];
    const transactionId = typeof txHeader === "string" ? txHeader : undefined;
    const type = String(headers["content-type"] ?? "");
    // JSON when it says so; a body without a content type is tried as JSON too.
    const json = /json/i.test(type);
    let body: unknown;
    let parsed = false;
    if (text.length > 0 && (json || type === "")) {
      try {
        body = JSON.parse(text);
        parsed = true;
      } catch {
        parsed = false;
      }
    }
    if (status >= 200 && status < 300) {
      if (text.length > 0 && json && !parsed) {
        return {
          failure: {
            error: new GovernanceError(
              status,
              "InvalidResponse",
              `${where} answered ${status} with a body that is not JSON.`,
              undefined,
              where,
            ),
            retry: false,
          },
        };
      }
      if (!parsed && text.length > 0) body = text;
      const response: TransportResponse = { status, headers, body };
      if (transactionId !== undefined) response.transactionId = transactionId;
      return { response };
    }
    const error = errorFromBody(status, parsed ? body : undefined, text, where);
    if (status === 503) {
      const delay = retryAfterMs(headerText(headers["retry-after"]));
      if (delay !== undefined) {
        return {
          failure: { error, retry: delay <= this.maxRetryAfterMs, delayMs: delay },
        };
      }
    }
    return { failure: { error, retry: false } };
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function unreachable(where: string, code: string): GovernanceError {
  return new GovernanceError(
    0,
    "Unreachable",
    `Cannot reach the governance service at ${where} (${code}): check that it is running and that the endpoint is right.`,
    undefined,
    where,
  );
}

function mismatch(where: string, code: string): GovernanceError {
  const what =
    code === "ERR_TLS_CERT_ALTNAME_INVALID"
      ? "presents a certificate that does not name this host"
      : "is not certified by the pinned service certificate";
  return new GovernanceError(
    0,
    "CertificateMismatch",
    `The server at ${where} ${what} (${code}): it is not the consortium you pinned, or the service certificate changed; get the service certificate from the operator and pin it again.`,
    undefined,
    where,
  );
}

/** A GovernanceError from a non-2xx reply: the OData-style error body, else the status. */
export function errorFromBody(
  status: number,
  body: unknown,
  text: string,
  where?: string,
): GovernanceError {
  const error = (body as { error?: unknown } | undefined)?.error as
    { code?: unknown; message?: unknown; details?: unknown } | undefined;
  if (error && typeof error === "object") {
    const code = typeof error.code === "string" ? error.code : `Http${status}`;
    const message =
      typeof error.message === "string" ? error.message : `The service answered ${status}.`;
    const details = Array.isArray(error.details)
      ? error.details
          .filter((d): d is { code?: unknown; message: string } => {
            return typeof (d as { message?: unknown } | null)?.message === "string";
          })
          .map((d) =>
            typeof d.code === "string"
              ? { code: d.code, message: d.message }
              : { message: d.message },
          )
      : undefined;
    return new GovernanceError(
      status,
      code,
      message,
      details && details.length > 0 ? details : undefined,
      where,
    );
  }
  // No error body (e.g. a proxy's page): say the status, and a short, single-line excerpt.
  const excerpt = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return new GovernanceError(
    status,
    `Http${status}`,
    `The service answered ${status}${excerpt ? `: ${excerpt}` : "."}`,
    undefined,
    where,
  );
}
