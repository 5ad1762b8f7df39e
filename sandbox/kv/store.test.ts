import assert from "node:assert/strict";
import { Store, bytesToKey, formatTxId, keyToBytes, parseTxId } from "./store.js";
import { Transaction } from "./tx.js";
import { accessTo, tableNamespace } from "./permissions.js";

const b = (text: string) => Buffer.from(text, "utf8");
const k = (text: string) => bytesToKey(b(text));
const text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString("utf8");

function write(store: Store, table: string, key: string, value: string | undefined) {
  const tx = new Transaction(store.current, "app-readwrite");
  if (value === undefined) tx.delete(table, k(key));
  else tx.set(table, k(key), b(value));
  return store.commit(tx.writeSet());
}

describe("kv store", () => {
  it("assigns consecutive seqnos in one view and keeps every version", () => {
    const store = new Store();
    const first = write(store, "t", "a", "1");
    const second = write(store, "t", "a", "2");
    assert.equal(second.seqno, first.seqno + 1);
    assert.equal(second.view, first.view);
    assert.equal(text(store.current.get("t", k("a"))?.value), "2");
    assert.equal(text(store.at(first.seqno).get("t", k("a"))?.value), "1");
    assert.equal(store.at(first.seqno - 1).get("t", k("a")), undefined);
  });

  it("counts live keys through deletes and historical views", () => {
    const store = new Store();
    write(store, "t", "a", "1");
    const both = write(store, "t", "b", "2");
    write(store, "t", "a", undefined);
    assert.equal(store.current.size("t"), 1);
    assert.equal(store.at(both.seqno).size("t"), 2);
  });

  it("round-trips binary keys exactly", () => {
    const bytes = new Uint8Array([0, 255, 128, 10]);
    assert.deepEqual(keyToBytes(bytesToKey(bytes)), Buffer.from(bytes));
  });

  it("formats and parses transaction ids, refusing malformed ones", () => {
    assert.equal(formatTxId({ view: 2, seqno: 15 }), "2.15");
    assert.deepEqual(parseTxId("2.15"), { view: 2, seqno: 15 });
    for (const bad of ["2", "2.", ".1", "a.b", "-1.2", "2.1.3", "99999999999999999999.1"]) {
      assert.equal(parseTxId(bad), undefined, bad);
    }
  });
});

describe("kv transactions", () => {
  it("reads its own pending writes, hides them from others until commit", () => {
    const store = new Store();
    write(store, "t", "a", "old");
    const tx = new Transaction(store.current, "app-readwrite");
    tx.set("t", k("a"), b("new"));
    tx.delete("t", k("x"));
    assert.equal(text(tx.get("t", k("a"))), "new");
    const other = new Transaction(store.current, "app-readonly");
    assert.equal(text(other.get("t", k("a"))), "old");
    store.commit(tx.writeSet());
    assert.equal(text(other.get("t", k("a"))), "new");
  });

  it("reports the version of the previous committed write, ignoring its own", () => {
    const store = new Store();
    const id = write(store, "t", "a", "1");
    const tx = new Transaction(store.current, "app-readwrite");
    tx.set("t", k("a"), b("2"));
    assert.equal(tx.versionOfPreviousWrite("t", k("a")), id.seqno);
    assert.equal(tx.versionOfPreviousWrite("t", k("missing")), undefined);
  });

  it("clears, sizes and enumerates the merged view", () => {
    const store = new Store();
    write(store, "t", "a", "1");
    write(store, "t", "b", "2");
    const tx = new Transaction(store.current, "app-readwrite");
    tx.set("t", k("c"), b("3"));
    tx.delete("t", k("a"));
    assert.equal(tx.size("t"), 2);
    assert.deepEqual(
      tx
        .entries("t")
        .map(([key]) => Buffer.from(key, "latin1").toString())
        .sort(),
      ["b", "c"],
    );
    tx.clear("t");
    assert.equal(tx.size("t"), 0);
    assert.equal(tx.hasWrites, true);
    store.commit(tx.writeSet());
    assert.equal(store.current.size("t"), 0);
  });

  it("refuses writes in read-only contexts and to governance tables from apps", () => {
    const store = new Store();
    const ro = new Transaction(store.current, "app-readonly");
    assert.throws(
      () => ro.set("t", k("a"), b("1")),
      /Cannot call set on table named t\. This table is read-only/,
    );
    const rw = new Transaction(store.current, "app-readwrite");
    assert.throws(() => rw.set("public:ccf.gov.users.info", k("a"), b("1")), TypeError);
    assert.doesNotThrow(() => rw.get("public:ccf.gov.users.certs", k("a")));
    assert.throws(() => rw.get("ccf.internal.secret", k("a")), /not accessible/);
    assert.throws(() => rw.get("ccf.anything", k("a")), /reserved/);
    const apply = new Transaction(store.current, "gov-apply");
    assert.doesNotThrow(() => apply.set("public:app", k("a"), b("1")));
    assert.throws(() => apply.get("public:app", k("a")), /write-only/);
    assert.throws(() => apply.set("private", k("a"), b("1")), TypeError);
  });
});

describe("kv permissions", () => {
  it("classifies table names as CCF does", () => {
    assert.equal(tableNamespace("public:ccf.gov.users.certs"), "public-gov");
    assert.equal(tableNamespace("public:ccf.internal.signatures"), "public-internal");
    assert.equal(tableNamespace("ccf.gov.private"), "private-gov-or-internal");
    assert.equal(tableNamespace("ccf.foo"), "reserved");
    assert.equal(tableNamespace("public:records"), "public-app");
    assert.equal(tableNamespace("records"), "private-app");
  });

  it("gives governance pre-approval code read access to governance tables only", () => {
    assert.equal(accessTo("gov-readonly", "public:ccf.gov.members.info"), "read");
    assert.equal(accessTo("gov-readonly", "public:records"), "none");
    assert.equal(accessTo("gov-apply", "public:ccf.gov.members.info"), "read-write");
  });
});
