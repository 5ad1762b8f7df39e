import assert from "node:assert/strict";
import { resolveModuleName } from "./interpreter.js";

describe("module names", () => {
  it("resolves relative imports against the importing module", () => {
    assert.equal(resolveModuleName("/endpoints/a.js", "./b.js"), "/endpoints/b.js");
    assert.equal(resolveModuleName("/endpoints/a.js", "../lib/c.js"), "/lib/c.js");
    assert.equal(resolveModuleName("/a.js", "./x/y.js"), "/x/y.js");
  });

  it("keeps absolute names and roots bare ones", () => {
    assert.equal(resolveModuleName("/a.js", "/b.js"), "/b.js");
    assert.equal(resolveModuleName("/a.js", "b.js"), "/b.js");
  });
});
