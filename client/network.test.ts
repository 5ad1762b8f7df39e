import assert from "node:assert/strict";
import { certificateCode, connectionCode } from "./network.js";

const coded = (code: string, extra: object = {}) =>
  Object.assign(new Error(code), { code, ...extra });

describe("network error codes", () => {
  it("finds a connection failure on the error, its causes or an AggregateError's errors", () => {
    assert.equal(connectionCode(coded("ECONNREFUSED")), "ECONNREFUSED");
    const wrapped = new Error("request failed", {
      cause: new Error("fetch failed", { cause: coded("UND_ERR_SOCKET") }),
    });
    assert.equal(connectionCode(wrapped), "UND_ERR_SOCKET");
    const both = new AggregateError([new Error("v6"), coded("EHOSTUNREACH")], "all failed");
    assert.equal(connectionCode(both), "EHOSTUNREACH");
  });

  it("tells an untrusted certificate from a failed connection", () => {
    const tls = coded("SELF_SIGNED_CERT_IN_CHAIN");
    assert.equal(certificateCode(tls), "SELF_SIGNED_CERT_IN_CHAIN");
    assert.equal(connectionCode(tls), undefined);
    assert.equal(certificateCode(coded("ECONNRESET")), undefined);
  });

  it("says nothing of other errors, and stops on cycles", () => {
    assert.equal(connectionCode(coded("EACCES")), undefined);
    assert.equal(connectionCode("ECONNREFUSED"), undefined);
    assert.equal(connectionCode(null), undefined);
    const looping: Error & { cause?: unknown } = new Error("a");
    looping.cause = looping;
    assert.equal(connectionCode(looping), undefined);
  });
});
