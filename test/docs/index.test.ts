/** docs/README.md links every page of docs/, and no page links a file that does not exist. */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoPath } from "../../scripts/docs/markdown.js";

const DOCS = repoPath("docs");
const pages = readdirSync(DOCS).filter((name) => name.endsWith(".md"));

/** Relative link targets of a Markdown text, without their #fragment. */
function relativeLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/.test(target));
}

describe("docs/README.md", function () {
  it("links every page of docs/", function () {
    const index = relativeLinks(readFileSync(join(DOCS, "README.md"), "utf8"));
    for (const page of pages.filter((p) => p !== "README.md")) {
      assert.ok(index.includes(page), `docs/README.md does not link ${page}`);
    }
  });

  it("every relative link in docs/ points to a file that exists", function () {
    for (const page of pages) {
      for (const target of relativeLinks(readFileSync(join(DOCS, page), "utf8"))) {
        const path = join(dirname(join(DOCS, page)), target);
        assert.ok(existsSync(path), `docs/${page} links ${target}, which does not exist`);
      }
    }
  });
});
