/** Compares a committed generated page with what its generator produces now. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { repoPath } from "../../scripts/docs/markdown.js";

export function assertPageCurrent(page: string, generated: string): void {
  const path = repoPath(page);
  assert.ok(existsSync(path), `${page} is missing: run \`npm run docs\``);
  const committed = readFileSync(path, "utf8");
  if (committed === generated) return;
  const a = committed.split("\n");
  const b = generated.split("\n");
  let line = 0;
  while (line < a.length && a[line] === b[line]) line++;
  assert.fail(
    `${page} differs from what its generator produces now (first at line ${line + 1}: ` +
      `committed ${JSON.stringify(a[line] ?? "<end>")}, generated ${JSON.stringify(b[line] ?? "<end>")}): ` +
      "run `npm run docs`",
  );
}
