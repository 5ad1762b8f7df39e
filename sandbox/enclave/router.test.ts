import assert from "node:assert/strict";
import { Router, type Endpoint, type EndpointProperties } from "./router.js";

const props: EndpointProperties = {
  js_module: "/m.js",
  js_function: "f",
  authn_policies: [],
  mode: "readonly",
};
const endpoint = (method: string, path: string, fn = `${method} ${path}`): Endpoint => ({
  method,
  path,
  properties: { ...props, js_function: fn },
});

describe("router", () => {
  const router = new Router([
    endpoint("GET", "/person/me"),
    endpoint("GET", "/person/{name}"),
    endpoint("POST", "/person/{name}"),
    endpoint("GET", "/a/{x}/b/{y}"),
    endpoint("GET", "/x.y"),
  ]);

  it("prefers an exact path to a template", () => {
    const match = router.match("get", "/person/me");
    assert.equal(match.kind === "found" && match.endpoint.properties.js_function, "GET /person/me");
  });

  it("binds several template parameters, raw", () => {
    const match = router.match("GET", "/a/1%202/b/x%2Fy");
    assert.equal(match.kind, "found");
    assert.deepEqual(match.kind === "found" && match.params, { x: "1%202", y: "x%2Fy" });
  });

  it("does not let a parameter span segments, nor dots match anything", () => {
    assert.equal(router.match("GET", "/a/1/2/b/3").kind, "none");
    assert.equal(router.match("GET", "/xzy").kind, "none");
  });

  it("lists the allowed verbs for a known path", () => {
    assert.deepEqual(router.match("DELETE", "/person/bob"), {
      kind: "wrong-method",
      allowed: ["GET", "POST"],
    });
  });

  it("reports ambiguous templates", () => {
    const ambiguous = new Router([endpoint("GET", "/{a}/x"), endpoint("GET", "/y/{b}")]);
    assert.equal(ambiguous.match("GET", "/y/x").kind, "ambiguous");
  });
});
