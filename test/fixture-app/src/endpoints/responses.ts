// One response of each kind CCF converts: body types, content types, headers, status codes.
import type { Request, Response } from "@microsoft/ccf-app";
import { queryParam } from "../util.js";

const KINDS: Record<string, () => unknown> = {
  none: () => ({ statusCode: 204 }),
  arraybuffer: () => ({ body: new Uint8Array([1, 2, 3]).buffer }),
  typedarray: () => ({ body: new Uint8Array([9, 8, 7, 6]).subarray(1, 3) }),
  dataview: () => ({ body: new DataView(new Uint8Array([5, 6, 7]).buffer, 1) }),
  text: () => ({ body: "héllo" }),
  json: () => ({ body: { a: [1, "two", null] } }),
  number: () => ({ body: 42 }),
  headers: () => ({
    body: "custom",
    headers: { "content-type": "text/x-custom", "x-count": 7 },
    statusCode: 201,
  }),
  "null-status": () => ({ body: "ok", statusCode: null }),
  "float-status": () => ({ body: "x", statusCode: 404 / 2 + 0.5 }),
  "not-object": () => "just a string",
  "bad-json": () => ({ body: { big: BigInt(1) } }),
  async: () => Promise.resolve({ body: "never" }),
  throws: () => {
    throw new RangeError("deliberate failure");
  },
};

export function respond(request: Request): Response {
  const kind = queryParam(request.query, "kind") ?? "";
  const make = KINDS[kind];
  if (!make) return { statusCode: 400, body: `unknown kind ${kind}` };
  return make() as Response;
}

// Declared `async` on purpose: CCF never drains the job queue, so the caller gets an empty 200.
export async function asyncHandler(): Promise<Response> {
  return { statusCode: 500, body: "should never be seen" };
}
