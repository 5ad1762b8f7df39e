/** The transport's pure parts: Retry-After, error bodies, and what it refuses to build. */
import assert from "node:assert/strict";
import { GovernanceError, Transport, errorFromBody, retryAfterMs } from "./transport.js";

describe("client/governance transport", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    assert.equal(retryAfterMs("0"), 0);
    assert.equal(retryAfterMs(" 3 "), 3000);
    const now = Date.parse("Wed, 25 Nov 2026 12:00:00 GMT");
    assert.equal(retryAfterMs("Wed, 25 Nov 2026 12:00:07 GMT", now), 7000);
    assert.equal(retryAfterMs("Wed, 25 Nov 2026 11:00:00 GMT", now), 0);
    assert.equal(retryAfterMs("soon"), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });

  it("takes code, message and details from an OData error body", () => {
    const error = errorFromBody(
      400,
      {
        error: {
          code: "ProposalFailedToValidate",
          message: "Proposal failed to validate",
          details: [{ code: "Why", message: "no such action" }, { nothing: true }],
        },
      },
      "",
      "https://127.0.0.1:1/gov/members/proposals:create",
    );
    assert.ok(error instanceof GovernanceError);
    assert.equal(error.status, 400);
    assert.equal(error.code, "ProposalFailedToValidate");
    assert.equal(error.message, "Proposal failed to validate");
    assert.deepEqual(error.details, [{ code: "Why", message: "no such action" }]);
    assert.equal(error.detailMessage, "no such action");
    assert.equal(error.url, "https://127.0.0.1:1/gov/members/proposals:create");
  });

  it("names the status when there is no error body, on one short line", () => {
    const error = errorFromBody(502, undefined, "<html>\n  Bad gateway\n</html>" + "x".repeat(500));
    assert.equal(error.code, "Http502");
    assert.match(error.message, /^The service answered 502: <html> Bad gateway <\/html>x+$/);
    assert.ok(error.message.length < 240);
    assert.equal(errorFromBody(404, { error: "nope" }, "").code, "Http404");
  });

  it("refuses an endpoint that is not https, or a certificate without its key", () => {
    const build = (options: ConstructorParameters<typeof Transport>[0]) => () =>
      new Transport(options);
    assert.throws(build({ url: "http://127.0.0.1:8000", serviceCertPem: "" }), {
      code: "InvalidRequest",
      message: /must be an https:\/\/ URL/,
    });
    assert.throws(build({ url: "not a url", serviceCertPem: "" }), { code: "InvalidRequest" });
    assert.throws(
      build({ url: "https://127.0.0.1:8000", serviceCertPem: "", clientCertPem: "x" }),
      { code: "InvalidRequest", message: /needs its private key/ },
    );
  });
});
