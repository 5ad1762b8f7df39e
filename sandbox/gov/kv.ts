/**
 * Typed access to the governance tables from the host side, in CCF's formats: keys are the raw
 * UTF-8 bytes of their text (member ids, proposal ids, …), values JSON unless noted.
 */
import type { Bytes, StoreView } from "../kv/store.js";
import type { Transaction } from "../kv/tx.js";
import { stringKey } from "../enclave/tables.js";

const utf8 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");

export function keyText(key: string): string {
  return Buffer.from(key, "latin1").toString("utf8");
}

/** Reads (and, in a writable transaction, writes) governance tables by text key. */
export class GovTables {
  constructor(readonly tx: Transaction) {}

  raw(table: string, key: string): Bytes | undefined {
    return this.tx.get(table, stringKey(key));
  }

  text(table: string, key: string): string | undefined {
    const value = this.raw(table, key);
    return value === undefined ? undefined : utf8(value);
  }

  json<T>(table: string, key: string): T | undefined {
    const value = this.raw(table, key);
    return value === undefined ? undefined : (JSON.parse(utf8(value)) as T);
  }

  /** A singleton table's JSON value (key: 8 zero bytes). */
  singleton<T>(table: string, key: string): T | undefined {
    const value = this.tx.get(table, key);
    return value === undefined ? undefined : (JSON.parse(utf8(value)) as T);
  }

  setRaw(table: string, key: string, value: Uint8Array): void {
    this.tx.set(table, stringKey(key), value);
  }

  setJson(table: string, key: string, value: unknown): void {
    this.tx.set(table, stringKey(key), Buffer.from(JSON.stringify(value), "utf8"));
  }

  delete(table: string, key: string): void {
    this.tx.delete(table, stringKey(key));
  }

  /** Every entry as (text key, JSON value), in key order. */
  entries<T>(table: string): [string, T][] {
    return this.tx
      .entries(table)
      .map(([key, value]) => [keyText(key), JSON.parse(utf8(value)) as T] as [string, T])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Every key as text, sorted. */
  keys(table: string): string[] {
    return this.tx
      .entries(table)
      .map(([key]) => keyText(key))
      .sort();
  }
}

/**
 * The view a nested read-only transaction sees: the outer transaction's state including its own
 * pending writes, as CCF runs ballots, `validate` and `resolve` on the request's transaction with
 * read-only access (ccf-runtime.md §4.3).
 */
export function pendingView(tx: Transaction, base: StoreView): StoreView {
  return {
    get: (table, key) => {
      const value = tx.get(table, key);
      const seqno = base.get(table, key)?.seqno ?? 0;
      return value === undefined && seqno === 0 ? undefined : { seqno, value };
    },
    forEach: (table, callback) => {
      for (const [key, value] of tx.entries(table)) callback(key, value);
    },
    size: (table) => tx.entries(table).length,
  };
}
