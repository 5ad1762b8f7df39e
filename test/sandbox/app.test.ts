/**
 * The app side of the sandbox, driven over HTTPS as a CCF app's own tests drive a CCF node:
 * routing, the Request object, response conversion, transactions, the KV and its permissions,
 * globals, runtime limits and interpreter reuse.
 */
import assert from "node:assert/strict";
import { startFixture, type FixtureSandbox } from "../support/fixture.js";

const TX_HEADER = "x-ms-ccf-transaction-id";

describe("sandbox: apps in QuickJS", function () {
  let f: FixtureSandbox;
  before(async () => {
    // No timed signature transactions: these tests compare transaction ids, and a signature
    // (itself a transaction) landing between a write and a read would shift them.
    f = await startFixture({ signatures: { delayMs: 3_600_000, txCount: 1_000_000 } });
  });
  after(async () => f?.stop());

  const get = (path: string) => f.client.request(path);
  const asUser = (path: string, method = "GET", body?: string) =>
    f.client.request(path, { method, body, as: f.user0 });

  describe("routing", () => {
    it("prefers an exact path over a template", async () => {
      const exact = await get("/app/route/fixed");
      assert.equal(exact.json<{ route: string }>().route, "/app/route/fixed");
      const templated = await get("/app/route/other");
      assert.equal(templated.json<{ route: string }>().route, "/app/route/{x}");
    });

    it("answers 404 ResourceNotFound for an unknown path", async () => {
      const reply = await get("/app/no/such/path");
      assert.equal(reply.status, 404);
      assert.equal(reply.json<{ error: { code: string } }>().error.code, "ResourceNotFound");
    });

    it("answers 405 with Allow for a known path and a wrong verb", async () => {
      const reply = await f.client.request("/app/json", { method: "PATCH", body: "{}" });
      assert.equal(reply.status, 405);
      assert.equal(reply.headers["allow"], "POST");
    });
  });

  describe("the Request object", () => {
    it("carries raw params and query, lower-case headers, route, url and hostname", async () => {
      const reply = await f.client.request("/app/echo/a%20b/c?x=1%202&y", {
        headers: { "X-Mixed-Case": "Value" },
      });
      assert.equal(reply.status, 200);
      const echo = reply.json<Record<string, unknown>>();
      assert.deepEqual(echo["params"], { a: "a%20b", b: "c" });
      assert.equal(echo["query"], "x=1%202&y");
      assert.equal(echo["path"], "/app/echo/a%20b/c");
      assert.equal(echo["url"], "/app/echo/a%20b/c?x=1%202&y");
      assert.equal(echo["route"], "/app/echo/{a}/{b}");
      assert.equal(echo["method"], "GET");
      assert.equal((echo["headers"] as Record<string, string>)["x-mixed-case"], "Value");
      assert.match(String(echo["hostname"]), /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(echo["caller"], { policy: "no_auth" });
    });

    it("gives caller null when an endpoint lists no policies, and the body three ways", async () => {
      const reply = await f.client.request("/app/echo/x/y", { method: "POST", body: "héllo" });
      const echo = reply.json<Record<string, unknown>>();
      assert.equal(echo["caller"], null);
      assert.equal(echo["text"], "héllo");
      assert.equal(echo["byteLength"], Buffer.byteLength("héllo"));
      assert.equal(echo["isArrayBuffer"], true);
      assert.equal(echo["method"], "POST");
      assert.equal(echo["query"], "");
      assert.equal(echo["url"], "/app/echo/x/y");
    });

    it("parses JSON bodies and turns a SyntaxError into a 500", async () => {
      const good = await f.client.request("/app/json", { body: { a: 1 } });
      assert.deepEqual(good.json(), { parsed: { a: 1 } });
      const bad = await f.client.request("/app/json", { method: "POST", body: "{nope" });
      assert.equal(bad.status, 500);
      assert.deepEqual(bad.json(), {
        error: { code: "InternalError", message: "Exception thrown while executing." },
      });
    });
  });

  describe("responses", () => {
    const kind = (k: string) => get(`/app/responses?kind=${k}`);

    it("sends no body and no content type for an undefined body", async () => {
      const reply = await kind("none");
      assert.equal(reply.status, 204);
      assert.equal(reply.body.length, 0);
      assert.equal(reply.headers["content-type"], undefined);
    });

    it("sends ArrayBuffers and views as application/octet-stream", async () => {
      const buffer = await kind("arraybuffer");
      assert.equal(buffer.headers["content-type"], "application/octet-stream");
      assert.deepEqual([...buffer.body], [1, 2, 3]);
      const view = await kind("typedarray");
      assert.deepEqual([...view.body], [8, 7]);
      const dataView = await kind("dataview");
      assert.deepEqual([...dataView.body], [6, 7]);
    });

    it("sends strings as text/plain UTF-8 and anything else as JSON", async () => {
      const text = await kind("text");
      assert.equal(text.headers["content-type"], "text/plain");
      assert.equal(text.text, "héllo");
      const json = await kind("json");
      assert.equal(json.headers["content-type"], "application/json");
      assert.deepEqual(json.json(), { a: [1, "two", null] });
      const number = await kind("number");
      assert.equal(number.text, "42");
    });

    it("applies headers after the default content type, and an integer status", async () => {
      const reply = await kind("headers");
      assert.equal(reply.status, 201);
      assert.equal(reply.headers["content-type"], "text/x-custom");
      assert.equal(reply.headers["x-count"], "7");
      assert.equal((await kind("null-status")).status, 200);
    });

    it("refuses a float status, a non-object and an unserialisable body with CCF's errors", async () => {
      const float = await kind("float-status");
      assert.equal(float.status, 500);
      assert.equal(
        float.json<{ error: { message: string } }>().error.message,
        "Invalid endpoint function return value (status code type).",
      );
      const notObject = await kind("not-object");
      assert.equal(
        notObject.json<{ error: { message: string } }>().error.message,
        "Invalid endpoint function return value (not an object).",
      );
      const badJson = await kind("bad-json");
      assert.equal(badJson.status, 500);
      assert.match(badJson.json<{ error: { message: string } }>().error.message, /JSON/);
    });

    it("gives an empty 200 for an async handler, as CCF never runs the job queue", async () => {
      const reply = await get("/app/async");
      assert.equal(reply.status, 200);
      assert.equal(reply.body.length, 0);
    });
  });

  describe("transactions", () => {
    const tx = (query: string) => f.client.request(`/app/tx?${query}`, { method: "POST" });
    const read = async (key: string) => {
      const reply = await asUser(`/app/kv/public:tx/${key}`);
      return reply.status === 200 ? reply.text : undefined;
    };

    it("applies writes on 2xx and gives each write its own transaction id", async () => {
      const first = await tx("key=a&value=1");
      const second = await tx("key=a&value=2");
      const id1 = String(first.headers[TX_HEADER]);
      const id2 = String(second.headers[TX_HEADER]);
      assert.match(id1, /^\d+\.\d+$/);
      assert.equal(Number(id2.split(".")[1]), Number(id1.split(".")[1]) + 1);
      assert.equal(await read("a"), "2");
    });

    it("discards writes on 4xx and 5xx, and on exceptions", async () => {
      assert.equal((await tx("key=b&status=400")).status, 400);
      assert.equal((await tx("key=b&status=503")).status, 503);
      assert.equal((await tx("key=b&throw=true")).status, 500);
      assert.equal(await read("b"), undefined);
    });

    it("lets setApplyWrites decide either way", async () => {
      assert.equal((await tx("key=c&status=200&apply=false")).status, 200);
      assert.equal(await read("c"), undefined);
      assert.equal((await tx("key=c&status=409&apply=true")).status, 409);
      assert.equal(await read("c"), "v");
    });

    it("gives a read the id of the last write it could have read", async () => {
      const write = await tx("key=d&value=x");
      const reader = await get("/app/globals");
      assert.equal(reader.headers[TX_HEADER], write.headers[TX_HEADER]);
    });

    it("serialises concurrent writers: every write gets a distinct id and is kept", async () => {
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) => tx(`key=c${i}&value=${i}`)),
      );
      const ids = new Set(replies.map((r) => String(r.headers[TX_HEADER])));
      assert.equal(ids.size, 40);
      const list = await asUser("/app/kv/public:tx");
      const entries = list.json<{ entries: Record<string, string> }>().entries;
      for (let i = 0; i < 40; i++) assert.equal(entries[`c${i}`], String(i));
    });
  });

  describe("ccf.kv", () => {
    it("sets, gets, versions, lists, deletes and clears", async () => {
      const put = await asUser("/app/kv/private-t/k1", "PUT", "one");
      assert.equal(put.status, 204);
      const seqno = Number(String(put.headers[TX_HEADER]).split(".")[1]);
      const got = await asUser("/app/kv/private-t/k1");
      assert.equal(got.text, "one");
      assert.equal(got.headers["x-version"], String(seqno));
      await asUser("/app/kv/private-t/k2", "PUT", "two");
      const list = await asUser("/app/kv/private-t");
      assert.deepEqual(list.json(), { size: 2, entries: { k1: "one", k2: "two" } });
      assert.deepEqual((await asUser("/app/kv/private-t/k1", "DELETE")).json(), {
        existed: true,
      });
      assert.equal((await asUser("/app/kv/private-t/k1")).status, 404);
      assert.deepEqual((await asUser("/app/kv/private-t", "POST")).json(), { size: 0 });
      assert.deepEqual((await asUser("/app/kv/private-t")).json(), { size: 0, entries: {} });
    });

    const probe = async (method: string, query: string) =>
      (await f.client.request(`/app/kv-probe?${query}`, { method })).json<
        { ok: unknown } | { error: string }
      >();

    it("accepts only ArrayBuffer keys", async () => {
      const result = await probe("POST", "op=get&typed=true");
      assert.ok("error" in result);
      assert.match(result.error, /^TypeError: .*ArrayBuffer/);
    });

    it("refuses writes in a read-only endpoint", async () => {
      const result = await probe("GET", "op=set&table=public:probe");
      assert.ok("error" in result);
      assert.match(result.error, /^TypeError: Cannot call set on table named public:probe\./);
      assert.match(result.error, /read-only/);
    });

    it("lets apps read but not write governance tables", async () => {
      assert.deepEqual(await probe("POST", "op=size&table=public:ccf.gov.users.certs"), {
        ok: 1,
      });
      const write = await probe("POST", "op=set&table=public:ccf.gov.users.certs");
      assert.ok("error" in write && /read-only/.test(write.error));
    });

    it("hides private internal tables and refuses reserved names", async () => {
      const internal = await probe("POST", "op=get&table=ccf.internal.secrets");
      assert.ok("error" in internal && /not accessible/.test(internal.error));
      const reserved = await probe("POST", "op=get&table=ccf.something");
      assert.ok("error" in reserved && /reserved/.test(reserved.error));
    });
  });

  describe("globals", () => {
    it("offers no Node or Web globals, and Date is 0 until untrusted time is enabled", async () => {
      const g = (await get("/app/globals")).json<Record<string, unknown>>();
      assert.deepEqual(g["present"], []);
      assert.equal(g["hasConsoleDebug"], "undefined");
      assert.deepEqual(g["before"], { now: 0, constructed: 0 });
      assert.equal(g["previous"], false);
      const after = g["after"] as { now: number; constructed: number };
      assert.ok(Math.abs(after.now - Date.now()) < 60_000, "untrusted time is the host's");
      assert.ok(after.constructed >= after.now);
      assert.equal(g["second"], true);
      assert.equal(g["afterDisable"], 0);
      assert.ok((g["random"] as number) >= 0 && (g["random"] as number) < 1);
      assert.deepEqual(g["badDateFlag"], { error: "TypeError: Argument must be a boolean" });
    });

    it("converts strings, buffers and JSON as CCF does", async () => {
      const c = (await get("/app/converters")).json<Record<string, unknown>>();
      assert.equal(c["bytes"], 5);
      assert.equal(c["back"], "é€");
      assert.deepEqual(c["json"], { a: 1 });
      for (const refusal of ["undefinedJson", "notString", "notBuffer"]) {
        assert.match((c[refusal] as { error: string }).error, /^TypeError/, refusal);
      }
    });

    it("writes the app's console output to the host log, tagged [app]", async () => {
      await get("/app/logs");
      assert.ok(
        f.logs.some((l) => l.startsWith("[app]") && l.includes('fixture says hello {"n":1}')),
      );
      assert.ok(f.logs.some((l) => l.startsWith("[app]") && l.includes("fixture warns")));
      assert.ok(f.logs.some((l) => /^JS execution complete: Method=GET, Path=\/app\/logs/.test(l)));
    });
  });

  describe("interpreter reuse", () => {
    it("keeps module state only for endpoints with an interpreter_reuse key", async () => {
      const fresh1 = (await get("/app/fresh/count")).json<{ counter: number }>();
      const fresh2 = (await get("/app/fresh/count")).json<{ counter: number }>();
      assert.deepEqual([fresh1.counter, fresh2.counter], [1, 1]);
      const reused1 = (await get("/app/reuse/count")).json<{ counter: number }>();
      const reused2 = (await get("/app/reuse/count")).json<{ counter: number }>();
      assert.equal(reused2.counter, reused1.counter + 1);
    });

    it("never lets a reused interpreter reach a previous request's KV or body", async () => {
      await f.client.request("/app/reuse/keep", { method: "POST", body: "secret-1" });
      const second = (
        await f.client.request("/app/reuse/keep", { method: "POST", body: "second" })
      ).json<Record<string, unknown>>();
      assert.equal(second["first"], false);
      assert.match((second["oldMap"] as { error: string }).error, /ended/);
      assert.match((second["oldBody"] as { error: string }).error, /ended/);
      assert.equal(second["dateStillOff"], true);
    });
  });

  describe("runtime limits", () => {
    before(async () => {
      await f.sandbox.applyActions([
        {
          name: "set_js_runtime_options",
          args: {
            max_heap_bytes: 32 * 1024 * 1024,
            max_stack_bytes: 512 * 1024,
            max_execution_time_ms: 300,
            return_exception_details: true,
          },
        },
      ]);
    });
    after(async () => {
      await f.sandbox.applyActions([
        {
          name: "set_js_runtime_options",
          args: {
            max_heap_bytes: 104857600,
            max_stack_bytes: 1048576,
            max_execution_time_ms: 5000,
          },
        },
      ]);
    });

    it("stops a runaway loop with 'Operation took too long to complete.'", async () => {
      const reply = await get("/app/limits/loop");
      assert.equal(reply.status, 500);
      assert.equal(
        reply.json<{ error: { message: string } }>().error.message,
        "Operation took too long to complete.",
      );
    });

    it("turns stack and heap exhaustion into an exception, with details when configured", async () => {
      for (const path of ["/app/limits/recursion", "/app/limits/memory"]) {
        const reply = await get(path);
        assert.equal(reply.status, 500, path);
        const error = reply.json<{
          error: { message: string; details: { code: string; message: string }[] };
        }>().error;
        assert.equal(error.message, "Exception thrown while executing.");
        assert.equal(error.details[0]?.code, "JSException");
        assert.match(error.details[0]!.message, /stack overflow|out of memory/);
      }
    });

    it("keeps serving after every limit was hit", async () => {
      assert.equal((await get("/app/route/fixed")).status, 200);
    });
  });
});
