import assert from "node:assert/strict";
import { Readable } from "node:stream";

import { freePort, useAzurite } from "../../test/support/azurite.js";
import {
  readAll,
  rejectsWith,
  storageConformance,
} from "../../test/support/storage-conformance.js";
import {
  AzureBlobStorage,
  grantAzureAccess,
  openGrant,
  openStorage,
  revokeAzureAccess,
  type StorageBackend,
  type StorageCredentials,
} from "./index.js";

describe("client/storage Azure Blob (Azurite)", function () {
  this.timeout(120_000);
  const azurite = useAzurite();
  const key = (): StorageCredentials => ({
    kind: "azure-shared-key",
    accountName: azurite().accountName,
    accountKey: azurite().accountKey,
  });
  const at = (container: string, prefix?: string) => ({
    kind: "azure-blob" as const,
    accountUrl: azurite().accountUrl,
    container,
    prefix,
  });
  let store: StorageBackend;
  let sibling: StorageBackend;

  before(async () => {
    store = openStorage(at("datasets", "owner/sales"), key());
    sibling = openStorage(at("datasets", "owner/other"), key(), { blockSize: 4 << 20 });
    await store.create();
  });

  describe("conformance", () => {
    storageConformance(
      () => store,
      () => sibling,
    );

    it("stages blocks for an interrupted upload but commits none of them", async () => {
      const azure = store as AzureBlobStorage;
      const data = Buffer.alloc(30 << 20, 3);
      // Fail the source only once two blocks are staged, so that staged blocks certainly exist.
      let staged!: () => void;
      const twoBlocksStaged = new Promise<void>((resolve) => (staged = resolve));
      let offset = 0;
      const source = new Readable({
        read() {
          if (offset < 20 << 20) {
            this.push(data.subarray(offset, (offset += 1 << 20)));
          } else {
            void twoBlocksStaged.then(() => this.destroy(new Error("source interrupted")));
          }
        },
      });
      await assert.rejects(
        azure.put("staged.bin", source, {
          onProgress: (n) => {
            if (n >= 16 << 20) staged();
          },
        }),
      );
      const names = async (uncommitted: boolean): Promise<string[]> => {
        const out: string[] = [];
        const options = { prefix: "owner/sales/staged", includeUncommitedBlobs: uncommitted };
        for await (const blob of azure.container.listBlobsFlat(options)) out.push(blob.name);
        return out;
      };
      // Blocks were staged (the upload really was in progress), yet no blob is visible.
      assert.deepEqual(await names(true), ["owner/sales/staged.bin"]);
      assert.deepEqual(await names(false), []);
      assert.equal(await azure.exists("staged.bin"), false);
      await azure.put("staged.bin", Readable.from([data]));
      assert.deepEqual(await names(false), ["owner/sales/staged.bin"]);
      assert.equal((await readAll(await azure.get("staged.bin"))).length, data.length);
    });

    it("opens with a connection string", async () => {
      const viaString = openStorage(at("datasets", "owner/sales"), {
        kind: "azure-connection-string",
        connectionString: azurite().connectionString,
      });
      assert.equal((await readAll(await viaString.get("replace.txt"))).toString(), "second");
    });

    it("refuses a connection string for another account than the location's", () => {
      const elsewhere = { ...at("datasets"), accountUrl: "http://127.0.0.1:1/devstoreaccount1" };
      assert.throws(
        () =>
          openStorage(elsewhere, {
            kind: "azure-connection-string",
            connectionString: azurite().connectionString,
          }),
        (error: unknown) =>
          (error as { code?: string }).code === "AccessDenied" &&
          /connection string is for the account at .* not http:\/\/127\.0\.0\.1:1\/devstoreaccount1/.test(
            (error as Error).message,
          ),
      );
    });
  });

  it("reports a missing container as NotFound with what to do", async () => {
    const missing = openStorage(at("no-such-container"), key());
    await rejectsWith(missing.list(), "NotFound");
    await rejectsWith(missing.put("x", Readable.from([Buffer.from("x")])), "NotFound");
    await assert.rejects(missing.list(), /create the container/);
  });

  it("reports a closed port as Unreachable", async () => {
    const port = await freePort();
    const closed = openStorage(
      {
        kind: "azure-blob",
        accountUrl: `http://127.0.0.1:${port}/devstoreaccount1`,
        container: "x1x",
      },
      key(),
      { maxAttempts: 1 },
    );
    await rejectsWith(closed.get("a"), "Unreachable");
    await rejectsWith(closed.put("a", Readable.from([Buffer.from("x")])), "Unreachable");
    await rejectsWith(closed.list(), "Unreachable");
  });

  it("reports a wrong account key as AccessDenied, without the key in the message", async () => {
    const wrongKey = Buffer.alloc(64, 7).toString("base64");
    const bad = openStorage(
      at("datasets", "owner/sales"),
      { kind: "azure-shared-key", accountName: azurite().accountName, accountKey: wrongKey },
      { maxAttempts: 1 },
    );
    await rejectsWith(bad.get("replace.txt"), "AccessDenied");
    await rejectsWith(bad.put("y", Readable.from([Buffer.from("y")])), "AccessDenied");
    await assert.rejects(bad.list(), (e: Error) => !e.message.includes(wrongKey));
  });

  it("rejects an invalid container name or account URL as InvalidLocation", () => {
    for (const location of [at("UPPER"), at("ab"), { ...at("okay"), accountUrl: "ftp://x" }]) {
      assert.throws(
        () => openStorage(location, key()),
        (e: unknown) => (e as { code?: string }).code === "InvalidLocation",
      );
    }
  });

  it("refuses credentials of another backend and a malformed connection string", () => {
    const invalid = (e: unknown) => (e as { code?: string }).code === "InvalidLocation";
    assert.throws(
      () => openStorage(at("okay"), { kind: "s3-static", accessKeyId: "a", secretAccessKey: "b" }),
      invalid,
    );
    assert.throws(
      () =>
        openStorage(at("okay"), { kind: "azure-connection-string", connectionString: "nonsense" }),
      invalid,
    );
    assert.throws(
      () =>
        openStorage(
          { kind: "s3", bucket: "okay" },
          { kind: "azure-sas", sas: "sv=2020-01-01&sig=x" },
        ),
      invalid,
    );
  });

  describe("access grants (container SAS under a stored access policy)", () => {
    let owner: AzureBlobStorage;
    let other: AzureBlobStorage;
    const inHour = () => new Date(Date.now() + 3600_000);

    before(async () => {
      owner = openStorage(at("grant-inputs"), key()) as AzureBlobStorage;
      other = openStorage(at("grant-other"), key()) as AzureBlobStorage;
      await owner.create();
      await other.create();
      await owner.put("input.csv", Readable.from([Buffer.from("a,b\n1,2\n")]));
      await other.put("secret.csv", Readable.from([Buffer.from("not yours")]));
    });

    it("a read grant reads and lists its container but cannot write", async () => {
      const grant = await grantAzureAccess(owner, { access: "read", expiresAt: inHour() });
      assert.equal(grant.kind, "azure-sas");
      assert.match(grant.sas, /(^|&)si=/);
      assert.doesNotMatch(grant.sas, /sp=/, "permissions live in the stored policy");
      const room = openGrant(grant, { maxAttempts: 1 });
      assert.equal((await readAll(await room.get("input.csv"))).toString(), "a,b\n1,2\n");
      assert.deepEqual(await room.list(), [{ name: "input.csv", size: 8 }]);
      await rejectsWith(room.put("new.csv", Readable.from([Buffer.from("x")])), "AccessDenied");
      await rejectsWith(room.delete("input.csv"), "AccessDenied");
    });

    it("a grant does not work in another container", async () => {
      const grant = await grantAzureAccess(owner, { access: "read", expiresAt: inHour() });
      const elsewhere = openStorage(
        at("grant-other"),
        { kind: "azure-sas", sas: grant.sas },
        { maxAttempts: 1 },
      );
      await rejectsWith(elsewhere.get("secret.csv"), "AccessDenied");
      await rejectsWith(elsewhere.list(), "AccessDenied");
    });

    it("a write grant writes (multi-block too) but cannot read or list", async () => {
      const grant = await grantAzureAccess(owner, { access: "write", expiresAt: inHour() });
      const room = openGrant(grant, { maxAttempts: 1, blockSize: 1 << 20 });
      const data = Buffer.alloc(3 * (1 << 20) + 5, 1);
      await room.put("output/result.bin", Readable.from([data]));
      assert.equal((await readAll(await owner.get("output/result.bin"))).length, data.length);
      await rejectsWith(room.get("output/result.bin"), "AccessDenied");
      await rejectsWith(room.list(), "AccessDenied");
      const elsewhere = openStorage(
        at("grant-other"),
        { kind: "azure-sas", sas: grant.sas },
        { maxAttempts: 1 },
      );
      await rejectsWith(elsewhere.put("x.bin", Readable.from([data])), "AccessDenied");
    });

    it("revoking deletes the stored policy and the SAS stops working", async () => {
      const grant = await grantAzureAccess(owner, { access: "read", expiresAt: inHour() });
      const room = openGrant(grant, { maxAttempts: 1 });
      assert.equal(await room.exists("input.csv"), true);
      assert.equal(await revokeAzureAccess(owner, grant.policyId), true);
      await rejectsWith(room.get("input.csv"), "AccessDenied");
      assert.equal(await revokeAzureAccess(owner, grant.policyId), false);
      const policies = await owner.container.getAccessPolicy();
      assert.ok(!policies.signedIdentifiers.some((s) => s.id === grant.policyId));
    });

    it("an expired grant stops working (in the service, and refused client-side)", async () => {
      const grant = await grantAzureAccess(owner, {
        access: "read",
        expiresAt: new Date(Date.now() + 2500),
      });
      const room = openStorage(
        grant.location,
        { kind: "azure-sas", sas: grant.sas },
        {
          maxAttempts: 1,
        },
      );
      assert.equal(await room.exists("input.csv"), true);
      await new Promise((resolve) =>
        setTimeout(resolve, Date.parse(grant.expiresAt) - Date.now() + 1200),
      );
      await rejectsWith(room.get("input.csv"), "AccessDenied");
      assert.throws(() => openGrant(grant), /expired/);
    });

    it("needs the account key to mint, and a future expiry", async () => {
      const grant = await grantAzureAccess(owner, { access: "read", expiresAt: inHour() });
      const viaSas = openGrant(grant) as AzureBlobStorage;
      await rejectsWith(
        grantAzureAccess(viaSas, { access: "read", expiresAt: inHour() }),
        "AccessDenied",
      );
      await rejectsWith(
        grantAzureAccess(owner, { access: "read", expiresAt: new Date(Date.now() - 1000) }),
        "InvalidLocation",
      );
    });

    it("prunes expired policies and refuses a sixth active one", async () => {
      const fresh = openStorage(at("grant-limit"), key()) as AzureBlobStorage;
      await fresh.create();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await grantAzureAccess(fresh, { access: "read", expiresAt: inHour() })).policyId);
      }
      await rejectsWith(
        grantAzureAccess(fresh, { access: "read", expiresAt: inHour() }),
        "AccessDenied",
      );
      await revokeAzureAccess(fresh, ids[0]!);
      await grantAzureAccess(fresh, { access: "write", expiresAt: inHour() });
      assert.equal((await fresh.container.getAccessPolicy()).signedIdentifiers.length, 5);
    });
  });
});
