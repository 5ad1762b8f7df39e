import assert from "node:assert/strict";
import { Lru } from "./lru.js";

describe("auth/lru", () => {
  it("computes once per key, keeps null results, and evicts the least recently used", () => {
    const computed: string[] = [];
    const lru = new Lru<string, string | null>(2);
    const get = (key: string) =>
      lru.getOrCompute(key, (k) => {
        computed.push(k);
        return k === "bad" ? null : k.toUpperCase();
      });
    assert.equal(get("a"), "A");
    assert.equal(get("bad"), null);
    assert.equal(get("bad"), null);
    assert.equal(get("a"), "A"); // "a" is now the most recent
    assert.deepEqual(computed, ["a", "bad"]);
    assert.equal(get("c"), "C"); // evicts "bad"
    assert.equal(lru.size, 2);
    assert.equal(get("a"), "A");
    assert.equal(get("bad"), null);
    assert.deepEqual(computed, ["a", "bad", "c", "bad"]);
  });
});
