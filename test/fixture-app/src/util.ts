// Shared by the fixture's endpoint modules (and so imported by relative path, as CCF resolves it).
import type { Response } from "@microsoft/ccf-app";

export function errorBody(status: number, code: string, message: string): Response {
  return { statusCode: status, body: { error: { code, message } } };
}

/** Runs `action` and reports either its result or the error it threw, by name and message. */
export function attempt(action: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: action() };
  } catch (e) {
    const error = e as Error;
    return { error: `${error.name}: ${error.message}` };
  }
}

export function queryParam(query: string, name: string): string | undefined {
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq) === name) return decodeURIComponent(part.slice(eq + 1));
  }
  return undefined;
}

const HEX = "0123456789abcdef";

export function toHex(buffer: ArrayBuffer): string {
  let out = "";
  for (const byte of new Uint8Array(buffer)) out += HEX[byte >> 4]! + HEX[byte & 15]!;
  return out;
}

export function fromHex(hex: string): ArrayBuffer {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out.buffer;
}
