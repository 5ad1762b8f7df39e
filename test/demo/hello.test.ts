/** The sample app `npm run demo` serves: what the README promises works. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startSandbox, type Sandbox } from "../../sandbox/index.js";
import { Client, type Identity } from "../support/client.js";

const HELLO = fileURLToPath(new URL("../../../demos/hello", import.meta.url));

describe("demo: the hello app on the sandbox", function () {
  let sandbox: Sandbox;
  let client: Client;
  let user0: Identity;
  before(async () => {
    sandbox = await startSandbox({ bundle: HELLO });
    client = new Client(sandbox.url, sandbox.serviceCertPem);
    user0 = Client.identity(sandbox.workspace, "user0");
  });
  after(async () => {
    client?.close();
    await sandbox?.stop();
  });

  it("records a message, reads it back with its author, and reads its history", async () => {
    const put = await client.request("/app/messages/1", { method: "PUT", body: "hi", as: user0 });
    assert.equal(put.status, 204);
    const first = String(put.headers["x-ms-ccf-transaction-id"]);
    const again = await client.request("/app/messages/1", {
      method: "PUT",
      body: "hello again",
      as: user0,
    });
    await client.waitForCommit(String(again.headers["x-ms-ccf-transaction-id"]));
    const read = await client.request("/app/messages/1", { as: user0 });
    assert.equal(read.json<{ text: string }>().text, "hello again");
    assert.match(read.json<{ author: string }>().author, /^[0-9a-f]{64}$/);
    const old = await client.request("/app/messages/1/historical", {
      as: user0,
      headers: { "x-ms-ccf-transaction-id": first },
    });
    assert.equal(old.json<{ text: string }>().text, "hi");
  });

  it("refuses bad ids, empty messages and callers without a user certificate", async () => {
    const badId = await client.request("/app/messages/abc", {
      method: "PUT",
      body: "x",
      as: user0,
    });
    assert.equal(badId.json<{ error: { code: string } }>().error.code, "InvalidMessageId");
    const empty = await client.request("/app/messages/2", { method: "PUT", body: "", as: user0 });
    assert.equal(empty.json<{ error: { code: string } }>().error.code, "EmptyMessage");
    assert.equal((await client.request("/app/messages/1")).status, 401);
    assert.equal((await client.request("/app/messages/99", { as: user0 })).status, 404);
  });
});
