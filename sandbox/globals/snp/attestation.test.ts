import assert from "node:assert/strict";
import { derInteger } from "./attestation.js";

describe("VCEK security patch level values (DER INTEGER)", function () {
  it("decodes short DER integers, signed", function () {
    assert.equal(derInteger(Uint8Array.of(0x02, 0x01, 0x18)), 24);
    assert.equal(derInteger(Uint8Array.of(0x02, 0x01, 0x00)), 0);
    assert.equal(derInteger(Uint8Array.of(0x02, 0x02, 0x00, 0xdb)), 219);
    assert.equal(derInteger(Uint8Array.of(0x02, 0x02, 0x01, 0x00)), 256);
    assert.equal(derInteger(Uint8Array.of(0x02, 0x01, 0x80)), -128);
    assert.equal(derInteger(Uint8Array.of(0x02, 0x02, 0xff, 0x7f)), -129);
  });

  it("refuses anything that is not exactly one minimal INTEGER", function () {
    for (const bytes of [
      [],
      [0x02],
      [0x02, 0x00],
      [0x02, 0x01],
      [0x02, 0x01, 0x01, 0x00], // trailing byte
      [0x02, 0x02, 0x00, 0x7f], // redundant leading zero
      [0x02, 0x02, 0xff, 0x80], // redundant leading 0xff
      [0x04, 0x01, 0x01], // OCTET STRING
      [0x02, 0x81, 0x01, 0x01], // long-form length
      [0x02, 0x07, 1, 2, 3, 4, 5, 6, 7], // too large
    ])
      assert.equal(derInteger(Uint8Array.from(bytes)), undefined, JSON.stringify(bytes));
  });
});
