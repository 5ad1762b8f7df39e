/**
 * App bundles: `{metadata, modules}` as CCF's `ccf-build-bundle` writes it, loaded either from a
 * `bundle.json` or built from a directory holding `app.json` and `src/` (every file under `src/`,
 * named by its path relative to `src/` with `/` separators).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

export interface Bundle {
  metadata: { endpoints: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  modules: { name: string; module: string }[];
}

export class BundleError extends Error {}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? listFiles(path) : entry.isFile() ? [path] : [];
    });
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new BundleError(`Cannot read ${path}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BundleError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export function buildBundleFromDirectory(dir: string): Bundle {
  const src = join(dir, "src");
  if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) {
    throw new BundleError(
      `${dir} has no src/ directory: a bundle directory holds app.json and src/`,
    );
  }
  const metadata = readJsonFile(join(dir, "app.json"));
  const modules = listFiles(src).map((path) => ({
    name: relative(src, path).split(sep).join("/"),
    module: readFileSync(path, "utf8"),
  }));
  return checkBundle({ metadata, modules }, dir);
}

export function loadBundle(path: string): Bundle {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new BundleError(`Bundle not found: ${path}`);
  return stat.isDirectory()
    ? buildBundleFromDirectory(path)
    : checkBundle(readJsonFile(path), path);
}

function checkBundle(value: unknown, origin: string): Bundle {
  const bundle = value as Partial<Bundle> | null;
  if (
    !bundle ||
    typeof bundle.metadata !== "object" ||
    bundle.metadata === null ||
    typeof bundle.metadata.endpoints !== "object" ||
    !Array.isArray(bundle.modules)
  ) {
    throw new BundleError(
      `${origin} is not an app bundle: expected {"metadata": {"endpoints": …}, "modules": […]}`,
    );
  }
  return bundle as Bundle;
}
