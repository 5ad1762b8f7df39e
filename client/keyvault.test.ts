import assert from "node:assert/strict";
import fc from "fast-check";
import { ID_PATTERN } from "../contracts/src/dataset.js";
import { KeyVaultError, dekSecretName, parseVaultUrl } from "./keyvault.js";

/** Key Vault's rule for object names. */
const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;

const id = fc.stringMatching(ID_PATTERN);

describe("dekSecretName", () => {
  it("reads as what it is: prefix, contract, dataset, digest", () => {
    assert.match(dekSecretName("collab", "sales"), /^cleanroom-dek-collab-sales-[0-9a-f]{16}$/);
    assert.match(dekSecretName("c.1", "my_data"), /^cleanroom-dek-c-1-my-data-[0-9a-f]{16}$/);
    assert.equal(dekSecretName("collab", "sales"), dekSecretName("collab", "sales"));
  });

  it("keeps ids apart that read the same once '.', '_' and length are lost", () => {
    const names = [
      dekSecretName("a.b", "c"),
      dekSecretName("a-b", "c"),
      dekSecretName("a_b", "c"),
      dekSecretName("a", "b-c"),
      dekSecretName("a", "b.c"),
      dekSecretName("x".repeat(64), "y".repeat(64)),
      dekSecretName("x".repeat(63), "y".repeat(64)),
    ];
    assert.equal(new Set(names).size, names.length);
  });

  it("is a valid Key Vault name for every pair of ids, even the longest", () => {
    assert.ok(dekSecretName("x".repeat(64), "y".repeat(64)).length <= 127);
    fc.assert(
      fc.property(id, id, (contractId, datasetId) => {
        assert.match(dekSecretName(contractId, datasetId), SECRET_NAME);
      }),
    );
  });

  it("maps distinct pairs of ids to distinct names", () => {
    fc.assert(
      fc.property(id, id, id, id, (a, b, c, d) => {
        fc.pre(a !== c || b !== d);
        assert.notEqual(dekSecretName(a, b), dekSecretName(c, d));
      }),
    );
  });
});

describe("parseVaultUrl", () => {
  it("takes a vault's https origin", () => {
    assert.equal(
      parseVaultUrl("https://contoso.vault.azure.net/"),
      "https://contoso.vault.azure.net",
    );
    assert.equal(
      parseVaultUrl("https://kv.vault.localhost:8443"),
      "https://kv.vault.localhost:8443",
    );
  });

  it("refuses what is not a vault URL", () => {
    for (const text of [
      "contoso",
      "http://contoso.vault.azure.net",
      "https://contoso.vault.azure.net/secrets/x",
      "https://user:pw@contoso.vault.azure.net",
      "https://contoso.vault.azure.net/?x=1",
    ]) {
      assert.throws(
        () => parseVaultUrl(text),
        (error: unknown) => error instanceof KeyVaultError && error.code === "InvalidKeyVaultUrl",
        text,
      );
    }
  });
});
