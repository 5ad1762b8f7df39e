// A small read and write for the benchmark, through @microsoft/ccf-app's typed KV.
import * as ccfapp from "@microsoft/ccf-app";
import type { Request, Response } from "@microsoft/ccf-app";

// Map handles belong to one request's transaction: take them inside the handler, never at module
// top level (a reused interpreter would keep a handle of a finished transaction).
const values = () => ccfapp.typedKv("public:bench", ccfapp.string, ccfapp.string);

export function put(request: Request): Response {
  values().set(request.params["id"]!, request.body.text());
  return { statusCode: 204 };
}

export function get(request: Request): Response {
  const value = values().get(request.params["id"]!);
  return value === undefined ? { statusCode: 404 } : { body: value };
}
