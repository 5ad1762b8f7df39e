// The runtime's measurement: what members put in a contract's clean-room policy and what
// `cleanroom contract policy verify` recomputes. SHA-384 (hex) of a canonical manifest of the
// runtime build and its configuration (docs/runtime.md, "Measurement"):
//
//   {"version":1,"files":[["<path>","<sha256 hex>"],…],"config":{…}}
//
// `files` lists every `.js` file (tests excepted) under `runtime/`, `client/` and
// `contracts/src/` of the build root, with its `/`-separated path relative to the root, sorted by
// path; `config` is the configuration with its keys sorted and undefined values left out.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import type { EngineLimits } from "../engine/types.js";
import type { Platform } from "./attestation.js";

/** The configuration that changes what the runtime does, hence part of its measurement. */
export interface MeasuredConfig {
  platform: Platform;
  engine?: EngineLimits;
}

export const MEASURED_FOLDERS = ["runtime", "client", "contracts/src"] as const;

const MANIFEST_VERSION = 1;

function jsFiles(root: string, folder: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, folder), { withFileTypes: true });
  } catch {
    throw new Error(`The runtime build has no ${folder}/ under ${root}.`);
  }
  return entries.flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return jsFiles(root, path);
    return entry.isFile() && entry.name.endsWith(".js") && !entry.name.endsWith(".test.js")
      ? [path]
      : [];
  });
}

const isEmptyObject = (value: unknown): boolean =>
  value !== null &&
  typeof value === "object" &&
  !Array.isArray(value) &&
  Object.keys(value).length === 0;

/**
 * JSON with object keys sorted at every level, and undefined values and empty objects dropped: an
 * option left out, given as undefined or as `{}` measures the same, whoever builds the config.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .map(([k, v]): [string, unknown] => [k, canonical(v)])
        .filter(([, v]) => v !== undefined && !isEmptyObject(v))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
  return value;
}

/** The manifest text that is hashed (exported so that people can see what is measured). */
export function runtimeManifest(buildRoot: string, config: MeasuredConfig): string {
  const files = MEASURED_FOLDERS.flatMap((folder) => jsFiles(buildRoot, folder))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((path) => [
      path,
      createHash("sha256")
        .update(readFileSync(join(buildRoot, path)))
        .digest("hex"),
    ]);
  return JSON.stringify({ version: MANIFEST_VERSION, files, config: canonical(config) });
}

/** The measurement (96 lower-case hex digits) of the build at `buildRoot` run with `config`. */
export function measureRuntime(buildRoot: string, config: MeasuredConfig): string {
  return createHash("sha384").update(runtimeManifest(buildRoot, config), "utf8").digest("hex");
}
