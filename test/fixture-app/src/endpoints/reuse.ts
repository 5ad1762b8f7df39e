// Module state: fresh per request unless the endpoint names an interpreter_reuse key.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { KvMap } from "@microsoft/ccf-app/global.js";
import type { Request, Response } from "@microsoft/ccf-app";
import { attempt } from "../util.js";

let counter = 0;
let keptMap: KvMap | undefined;
let keptRequest: Request | undefined;

export function count(): Response {
  counter += 1;
  return { body: { counter } };
}

/** Keeps a KV handle and the request, then on the next call tries to use the previous ones. */
export function keep(request: Request): Response {
  const previousMap = keptMap;
  const previousRequest = keptRequest;
  keptMap = ccf.kv["public:reuse"];
  keptRequest = request;
  return {
    body: {
      first: previousMap === undefined,
      oldMap: previousMap ? attempt(() => previousMap.get(ccf.strToBuf("k"))) : null,
      oldBody: previousRequest ? attempt(() => previousRequest.body.text()) : null,
      dateStillOff: Date.now() === 0,
    },
  };
}
