// Echoes the Request object CCF builds, so tests can check every field of it.
import type { Request, Response } from "@microsoft/ccf-app";

export function echo(request: Request): Response {
  const bytes = request.body.arrayBuffer();
  return {
    body: {
      headers: request.headers,
      params: request.params,
      query: request.query,
      path: request.path,
      url: request.url,
      route: request.route,
      method: request.method,
      hostname: request.hostname,
      caller: request.caller === undefined ? "undefined" : request.caller,
      text: request.body.text(),
      byteLength: bytes.byteLength,
      isArrayBuffer: bytes instanceof ArrayBuffer,
    },
  };
}

export function json(request: Request): Response {
  return { body: { parsed: request.body.json() } };
}
