import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { UserError } from "../../errors.js";
import { checkInvitationId, codeHash, newInvitationCode, parseDuration } from "./common.js";

describe("invitation codes and durations", function () {
  it("codes are 256 random bits, URL-safe, and differ each time", function () {
    const codes = new Set(Array.from({ length: 200 }, () => newInvitationCode()));
    assert.equal(codes.size, 200);
    for (const code of codes) {
      assert.match(code, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(code, "base64url").length, 32);
    }
  });

  it("hashes a code as governance does: lower-hex SHA-256 of its UTF-8 bytes", function () {
    assert.equal(
      codeHash("abc"),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert.equal(
      codeHash("é"),
      createHash("sha256")
        .update(Buffer.from([0xc3, 0xa9]))
        .digest("hex"),
    );
  });

  it("parses durations in s, m, h and d, up to 365 days", function () {
    assert.equal(parseDuration("90s"), 90);
    assert.equal(parseDuration("30m"), 1800);
    assert.equal(parseDuration("12h"), 43_200);
    assert.equal(parseDuration(" 7d "), 604_800);
    assert.equal(parseDuration("365d"), 365 * 86_400);
    for (const bad of ["", "7", "0s", "366d", "1.5h", "-1d", "7 days", "1w"]) {
      assert.throws(
        () => parseDuration(bad),
        (e: unknown) => e instanceof UserError,
        bad,
      );
    }
  });

  it("checks invitation ids as the constitution does", function () {
    assert.equal(checkInvitationId("north_wind-2"), "north_wind-2");
    for (const bad of ["", "a.b", "a b", "x".repeat(65), "é"]) {
      assert.throws(
        () => checkInvitationId(bad),
        (e: unknown) => e instanceof UserError,
        bad,
      );
    }
  });
});
