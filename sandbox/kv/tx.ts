/**
 * One KV transaction: reads see the store overlaid with this transaction's own pending writes;
 * writes stay private to it until `writeSet()` is committed by the caller.
 */
import { accessTo, deniedMessage, type ExecutionContext } from "./permissions.js";
import type { Bytes, StoreView, WriteSet } from "./store.js";

export class KvPermissionError extends TypeError {}

export class Transaction {
  private readonly writes: WriteSet = new Map();

  constructor(
    private readonly base: StoreView,
    readonly context: ExecutionContext,
  ) {}

  private check(method: string, table: string, needs: "read" | "write"): void {
    const access = accessTo(this.context, table);
    const ok = access === "read-write" || access === needs;
    if (!ok) throw new KvPermissionError(deniedMessage(method, table, this.context));
  }

  private pending(table: string): Map<string, Bytes | undefined> | undefined {
    return this.writes.get(table);
  }

  get(table: string, key: string): Bytes | undefined {
    this.check("get", table, "read");
    const pending = this.pending(table);
    if (pending?.has(key)) return pending.get(key);
    return this.base.get(table, key)?.value;
  }

  has(table: string, key: string): boolean {
    this.check("has", table, "read");
    return this.get(table, key) !== undefined;
  }

  /** The seqno of the last committed write of `key`, ignoring this transaction's own writes. */
  versionOfPreviousWrite(table: string, key: string): number | undefined {
    this.check("getVersionOfPreviousWrite", table, "read");
    const version = this.base.get(table, key);
    return version?.value === undefined ? undefined : version.seqno;
  }

  set(table: string, key: string, value: Bytes): void {
    this.check("set", table, "write");
    this.writable(table).set(key, value);
  }

  delete(table: string, key: string): void {
    this.check("delete", table, "write");
    this.writable(table).set(key, undefined);
  }

  clear(table: string): void {
    this.check("clear", table, "write");
    const pending = this.writable(table);
    pending.clear();
    this.base.forEach(table, (key) => pending.set(key, undefined));
  }

  /** Entries visible to this transaction, snapshotted before the first callback runs. */
  entries(table: string, method = "forEach"): [string, Bytes][] {
    this.check(method, table, "read");
    const merged = new Map<string, Bytes>();
    this.base.forEach(table, (key, value) => merged.set(key, value));
    for (const [key, value] of this.pending(table) ?? []) {
      if (value === undefined) merged.delete(key);
      else merged.set(key, value);
    }
    return [...merged];
  }

  size(table: string): number {
    const pending = this.pending(table);
    if (!pending) {
      this.check("size", table, "read");
      return this.base.size(table);
    }
    return this.entries(table, "size").length;
  }

  private writable(table: string): Map<string, Bytes | undefined> {
    let pending = this.writes.get(table);
    if (!pending) {
      pending = new Map();
      this.writes.set(table, pending);
    }
    return pending;
  }

  get hasWrites(): boolean {
    for (const entries of this.writes.values()) if (entries.size > 0) return true;
    return false;
  }

  writeSet(): WriteSet {
    return this.writes;
  }
}
