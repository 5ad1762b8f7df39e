// Calls any ccf.crypto function with arguments from JSON: {"hex": …} stands for an ArrayBuffer,
// anything else is passed as is; ArrayBuffers in the result come back as {"hex": …}.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { Request, Response } from "@microsoft/ccf-app";
import { attempt, errorBody, fromHex, toHex } from "../util.js";

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record["hex"] === "string") return fromHex(record["hex"]);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = decode(v);
    return out;
  }
  return value;
}

function encode(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return { hex: toHex(value) };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encode(v);
    return out;
  }
  return value;
}

export function call(request: Request): Response {
  const { fn, args } = request.body.json() as { fn: string; args: unknown[] };
  const target = (ccf.crypto as unknown as Record<string, (...a: unknown[]) => unknown>)[fn];
  if (typeof target !== "function") return errorBody(400, "UnknownFunction", `No ccf.crypto.${fn}`);
  const result = attempt(() => target(...(decode(args) as unknown[])));
  return { body: "ok" in result ? { ok: encode(result.ok) } : result };
}
