// Reading requests: decoded query parameters, JSON bodies and path parameters, with clear 400s.
import type { Request } from "@microsoft/ccf-app";
import { badRequest } from "./errors.js";

/** The query string's parameters, percent-decoded (CCF hands the query over raw). */
export function queryParams(request: Request): Map<string, string> {
  const params = new Map<string, string>();
  if (!request.query) return params;
  for (const part of request.query.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    try {
      params.set(decode(name), decode(value));
    } catch {
      throw badRequest(
        "InvalidQueryParameter",
        `Query parameter '${name}' is not validly encoded.`,
      );
    }
  }
  return params;
}

function decode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, " "));
}

/** A path parameter, percent-decoded (CCF hands path segments over raw). */
export function pathParam(request: Request, name: string): string {
  const raw = request.params[name];
  if (raw === undefined)
    throw badRequest("MissingParameter", `Path parameter '${name}' is missing.`);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest("InvalidParameter", `Path parameter '${name}' is not validly encoded.`);
  }
}

/** The body as a JSON object, or a 400 saying why not. */
export function jsonBody(request: Request): Record<string, unknown> {
  let value: unknown;
  try {
    value = request.body.json();
  } catch {
    throw badRequest("InvalidJson", "The request body must be a JSON object.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("InvalidJson", "The request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

/** An integer query parameter within bounds, or its default. */
export function intParam(
  params: Map<string, string>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = params.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw badRequest("InvalidParameter", `'${name}' must be an integer.`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw badRequest("InvalidParameter", `'${name}' must be between ${min} and ${max}.`);
  }
  return value;
}
