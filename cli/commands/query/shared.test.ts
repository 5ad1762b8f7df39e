import assert from "node:assert/strict";
import { sqlSegments } from "./shared.js";

describe("cli: SQL files split into segments", () => {
  it("splits at lines of --- and drops blank segments", () => {
    assert.deepEqual(sqlSegments("SELECT 1\n---\n\n---\nSELECT 2\n"), [
      { statement: "SELECT 1" },
      { statement: "SELECT 2" },
    ]);
  });

  it("names the segment after a `--- name` line, the first one included", () => {
    assert.deepEqual(
      sqlSegments("--- joined\nSELECT a FROM t\n  ---  \nSELECT count(*) FROM joined"),
      [
        { name: "joined", statement: "SELECT a FROM t" },
        { statement: "SELECT count(*) FROM joined" },
      ],
    );
  });

  it("keeps a line that only starts with --- (a comment) inside its statement", () => {
    assert.deepEqual(sqlSegments("SELECT 1 --- trailing\n--- not a name!\nFROM t"), [
      { statement: "SELECT 1 --- trailing\n--- not a name!\nFROM t" },
    ]);
  });
});
