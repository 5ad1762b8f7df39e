import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  base64Decode,
  base64Encode,
  hexDecode,
  hexEncode,
  isBase64,
  utf8Decode,
  utf8Encode,
} from "./encoding.js";

describe("contracts: encoding", () => {
  it("base64 matches Node's for every length of random bytes up to 70", () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length);
      const text = base64Encode(bytes);
      assert.equal(text, bytes.toString("base64"), `length ${length}`);
      assert.deepEqual(Buffer.from(base64Decode(text)), bytes, `length ${length}`);
    }
  });

  it("refuses base64 that is not padded, has foreign characters or misplaced padding", () => {
    assert.throws(() => base64Decode("abc"), TypeError);
    assert.throws(() => base64Decode("ab-d"), /invalid base64 character/);
    assert.throws(() => base64Decode("a=bc"), /invalid base64 character/);
    assert.throws(() => base64Decode("ab=c"), /invalid base64 character/);
    assert.throws(() => base64Decode("a==="), /invalid base64 character/);
    assert.equal(isBase64("QUJD"), true);
    assert.equal(isBase64(""), false);
    assert.equal(isBase64("QU JD"), false);
    assert.equal(isBase64("QUJ"), false);
  });

  it("hex round-trips, writes lower case and refuses odd or foreign digits", () => {
    const bytes = randomBytes(33);
    assert.equal(hexEncode(bytes), bytes.toString("hex"));
    assert.deepEqual(Buffer.from(hexDecode(bytes.toString("hex").toUpperCase())), bytes);
    assert.throws(() => hexDecode("abc"), TypeError);
    assert.throws(() => hexDecode("zz"), TypeError);
  });

  it("UTF-8 matches TextEncoder/TextDecoder, surrogates included", () => {
    const samples = ["", "plain", "é", "€ and 日本", "🔐 key", "lone \ud800 surrogate", "\udc00x"];
    for (const text of samples) {
      const bytes = utf8Encode(text);
      assert.deepEqual(bytes, new TextEncoder().encode(text), JSON.stringify(text));
      assert.equal(utf8Decode(bytes), new TextDecoder().decode(bytes));
    }
  });

  it("refuses malformed UTF-8: overlong, truncated, surrogate, stray continuation", () => {
    for (const bad of [
      [0xc0, 0x80],
      [0xe2, 0x82],
      [0xed, 0xa0, 0x80],
      [0x80],
      [0xf5, 0x80, 0x80, 0x80],
    ]) {
      assert.throws(() => utf8Decode(Uint8Array.from(bad)), TypeError, JSON.stringify(bad));
    }
  });
});
