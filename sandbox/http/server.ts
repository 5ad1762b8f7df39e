/**
 * The HTTPS front end: TLS with optional client certificates, reads each request, hands it to the
 * engine and writes back what the engine answers. Keep-alive connections, HTTP/1.1.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { errorResponse, type HttpRequest, type HttpResponse } from "./messages.js";

/** CCF's default maximum request body (`max_body_size`, 1 MB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerIdentity {
  certPem: string;
  privateKeyPem: string;
}

const peerCertificates = new WeakMap<TLSSocket, Uint8Array | null>();

function clientCertificate(socket: TLSSocket): Uint8Array | undefined {
  let der = peerCertificates.get(socket);
  if (der === undefined) {
    const cert = socket.getPeerCertificate();
    der = cert && cert.raw ? new Uint8Array(cert.raw) : null;
    peerCertificates.set(socket, der);
  }
  return der ?? undefined;
}

function readHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function send(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

export function createFrontEnd(
  identity: ServerIdentity,
  handle: (request: HttpRequest) => Promise<HttpResponse>,
  log: (line: string) => void,
): Server {
  const server = createServer(
    {
      cert: identity.certPem,
      key: identity.privateKeyPem,
      requestCert: true,
      // Client certificates are checked per endpoint by its authentication policies.
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) tooLarge = true;
        else chunks.push(chunk);
      });
      req.on("end", () => {
        if (tooLarge) {
          send(
            res,
            errorResponse(
              413,
              "RequestBodyTooLarge",
              `Request body exceeds ${MAX_BODY_BYTES} bytes.`,
            ),
          );
          return;
        }
        const url = req.url ?? "/";
        const q = url.indexOf("?");
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const request: HttpRequest = {
          method: req.method ?? "GET",
          path: q === -1 ? url : url.slice(0, q),
          query: q === -1 ? "" : url.slice(q + 1),
          headers: readHeaders(req),
          // A copy the engine can own: Node may pool small buffers.
          body: new Uint8Array(body),
          clientCertDer: clientCertificate(req.socket as TLSSocket),
        };
        handle(request).then(
          (response) => send(res, response),
          (error: unknown) => {
            log(
              `request failed in the engine: ${error instanceof Error ? error.message : String(error)}`,
            );
            send(res, errorResponse(500, "InternalError", "The sandbox engine failed."));
          },
        );
      });
    },
  );
  server.keepAliveTimeout = 30_000;
  return server;
}
