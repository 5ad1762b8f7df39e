/**
 * The versioned key-value store of one node.
 *
 * Every key keeps its chain of committed versions, so that a transaction reads the latest one and a
 * historical query reads the one in force at any earlier seqno. Keys and values are bytes; keys are
 * held as latin1 strings (one char per byte), which makes them cheap, exact Map keys.
 */

export type Bytes = Uint8Array;

/** A committed version of a key: its value, or `undefined` when that write removed it. */
export interface Version {
  readonly seqno: number;
  readonly value: Bytes | undefined;
}

/** The writes of one transaction: table → key → new value (`undefined` removes the key). */
export type WriteSet = Map<string, Map<string, Bytes | undefined>>;

export interface TxId {
  view: number;
  seqno: number;
}

export function formatTxId(id: TxId): string {
  return `${id.view}.${id.seqno}`;
}

/** Parses `view.seqno`; undefined unless both are non-negative safe integers. */
export function parseTxId(text: string): TxId | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(text);
  if (!match) return undefined;
  const view = Number(match[1]);
  const seqno = Number(match[2]);
  if (!Number.isSafeInteger(view) || !Number.isSafeInteger(seqno)) return undefined;
  return { view, seqno };
}

export function keyToBytes(key: string): Bytes {
  return Buffer.from(key, "latin1");
}

export function bytesToKey(bytes: Bytes): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

class Table {
  readonly chains = new Map<string, Version[]>();
  liveKeys = 0;

  latest(key: string): Version | undefined {
    const chain = this.chains.get(key);
    return chain?.[chain.length - 1];
  }

  /** The version of `key` in force at `seqno` (the last write at or before it). */
  at(key: string, seqno: number): Version | undefined {
    const chain = this.chains.get(key);
    if (!chain) return undefined;
    let lo = 0;
    let hi = chain.length - 1;
    let found: Version | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const version = chain[mid]!;
      if (version.seqno <= seqno) {
        found = version;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  write(key: string, value: Bytes | undefined, seqno: number): void {
    let chain = this.chains.get(key);
    if (!chain) {
      chain = [];
      this.chains.set(key, chain);
    }
    const wasLive = chain.length > 0 && chain[chain.length - 1]!.value !== undefined;
    chain.push({ seqno, value });
    this.liveKeys += (value !== undefined ? 1 : 0) - (wasLive ? 1 : 0);
  }
}

/** A read-only view of the store, either current or as of one seqno. */
export interface StoreView {
  get(table: string, key: string): Version | undefined;
  forEach(table: string, callback: (key: string, value: Bytes) => void): void;
  size(table: string): number;
}

export class Store {
  private readonly tables = new Map<string, Table>();
  /** The view of the primary; a single node never changes it. */
  readonly view: number;
  private lastSeqno = 0;

  constructor(view = 2) {
    this.view = view;
  }

  get lastTxId(): TxId {
    return { view: this.view, seqno: this.lastSeqno };
  }

  private table(name: string): Table | undefined {
    return this.tables.get(name);
  }

  /** Applies a non-empty write set as the next transaction and returns its id. */
  commit(writes: WriteSet): TxId {
    const seqno = ++this.lastSeqno;
    for (const [name, entries] of writes) {
      let table = this.tables.get(name);
      if (!table) {
        table = new Table();
        this.tables.set(name, table);
      }
      for (const [key, value] of entries) table.write(key, value, seqno);
    }
    return { view: this.view, seqno };
  }

  /** The view of which `seqno` is the latest transaction. */
  viewForSeqno(seqno: number): number | undefined {
    return seqno >= 1 && seqno <= this.lastSeqno ? this.view : undefined;
  }

  readonly current: StoreView = {
    get: (table, key) => this.table(table)?.latest(key),
    forEach: (table, callback) => {
      const t = this.table(table);
      if (!t) return;
      for (const [key, chain] of t.chains) {
        const value = chain[chain.length - 1]!.value;
        if (value !== undefined) callback(key, value);
      }
    },
    size: (table) => this.table(table)?.liveKeys ?? 0,
  };

  /** A view of the store as it was right after transaction `seqno`. */
  at(seqno: number): StoreView {
    const visible = (table: Table, key: string) => table.at(key, seqno);
    const each = (name: string, callback: (key: string, value: Bytes) => void) => {
      const t = this.table(name);
      if (!t) return;
      for (const key of t.chains.keys()) {
        const value = visible(t, key)?.value;
        if (value !== undefined) callback(key, value);
      }
    };
    return {
      get: (name, key) => {
        const t = this.table(name);
        return t ? visible(t, key) : undefined;
      },
      forEach: each,
      size: (name) => {
        let count = 0;
        each(name, () => count++);
        return count;
      },
    };
  }
}
