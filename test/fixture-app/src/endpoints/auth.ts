// Returns the caller object as the authentication policies built it.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { Request, Response } from "@microsoft/ccf-app";

function plain(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return { text: ccf.bufToStr(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

export function whoami(request: Request): Response {
  const caller = request.caller as unknown as Record<string, unknown> | null;
  const cert = caller && typeof caller["cert"] === "string" ? caller["cert"] : undefined;
  return {
    body: {
      caller: plain(caller),
      pemToIdMatches:
        cert !== undefined && caller!["id"] !== undefined
          ? ccf.pemToId(cert) === caller!["id"]
          : null,
    },
  };
}
