// Raw KV access: keys and values are the path segment and the body, as bytes.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { Request, Response } from "@microsoft/ccf-app";
import { attempt, errorBody, queryParam } from "../util.js";

const key = (request: Request) => ccf.strToBuf(request.params["key"]!);
const table = (request: Request) => ccf.kv[request.params["table"]!]!;

export function put(request: Request): Response {
  table(request).set(key(request), request.body.arrayBuffer());
  return { statusCode: 204 };
}

export function get(request: Request): Response {
  const map = table(request);
  const value = map.get(key(request));
  if (value === undefined) return errorBody(404, "KeyNotFound", "No such key.");
  return {
    body: value,
    headers: { "x-version": String(map.getVersionOfPreviousWrite(key(request))) },
  };
}

export function remove(request: Request): Response {
  const map = table(request);
  const existed = map.has(key(request));
  map.delete(key(request));
  return { body: { existed } };
}

export function list(request: Request): Response {
  const entries: Record<string, string> = {};
  table(request).forEach((value, k) => {
    entries[ccf.bufToStr(k)] = ccf.bufToStr(value);
  });
  return { body: { size: table(request).size, entries } };
}

export function clear(request: Request): Response {
  table(request).clear();
  return { body: { size: table(request).size } };
}

/** Tries one map operation and reports what CCF's permission checks and type checks said. */
export function probe(request: Request): Response {
  const map = ccf.kv[queryParam(request.query, "table") ?? "public:probe"]!;
  const typed = queryParam(request.query, "typed") === "true";
  const k = typed ? (new Uint8Array([1]) as unknown as ArrayBuffer) : ccf.strToBuf("k");
  const v = ccf.strToBuf("v");
  const ops: Record<string, () => unknown> = {
    get: () => map.get(k),
    has: () => map.has(k),
    set: () => (map.set(k, v), "set"),
    delete: () => map.delete(k),
    clear: () => map.clear(),
    size: () => map.size,
    forEach: () => map.forEach(() => undefined),
    version: () => map.getVersionOfPreviousWrite(k),
  };
  const op = ops[queryParam(request.query, "op") ?? ""];
  if (!op) return errorBody(400, "UnknownOp", "Unknown op.");
  return { body: attempt(op) };
}
