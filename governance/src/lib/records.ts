// JSON records in KV tables, with the version (`view.seqno` of the transaction that wrote them)
// that optimistic concurrency compares.
import { ccf } from "@microsoft/ccf-app/global.js";
import { ApiError, conflict } from "./errors.js";

export interface Versioned<T> {
  value: T;
  /** `view.seqno` of the transaction that last wrote the record. */
  version: string;
}

export class JsonTable<T> {
  constructor(readonly name: string) {}

  private get map() {
    return ccf.kv[this.name]!;
  }

  has(key: string): boolean {
    return this.map.has(ccf.strToBuf(key));
  }

  get(key: string): T | undefined {
    const raw = this.map.get(ccf.strToBuf(key));
    return raw === undefined ? undefined : (ccf.bufToJsonCompatible(raw) as T);
  }

  /** The record and its version; the version is that of the last committed write. */
  getVersioned(key: string): Versioned<T> | undefined {
    const k = ccf.strToBuf(key);
    const raw = this.map.get(k);
    if (raw === undefined) return undefined;
    const seqno = this.map.getVersionOfPreviousWrite(k);
    return { value: ccf.bufToJsonCompatible(raw) as T, version: versionOf(seqno) };
  }

  set(key: string, value: T): void {
    this.map.set(ccf.strToBuf(key), ccf.jsonCompatibleToBuf(value as never));
  }

  delete(key: string): void {
    this.map.delete(ccf.strToBuf(key));
  }

  /**
   * Writes `value` if `expectedVersion` matches the stored record's: 409 `VersionRequired` when a
   * record exists and no version was given, 412 `PreconditionFailed` when it is stale.
   */
  replace(key: string, value: T, expectedVersion: string | undefined, what: string): void {
    const current = this.getVersioned(key);
    if (current && expectedVersion === undefined) {
      throw conflict(
        "VersionRequired",
        `${what} already exists: pass its current version (${current.version}) to change it.`,
      );
    }
    if (expectedVersion !== undefined && current?.version !== expectedVersion) {
      throw new ApiError(
        412,
        "PreconditionFailed",
        current
          ? `${what} has version ${current.version}, not ${expectedVersion}: read it again and retry.`
          : `${what} does not exist, so it has no version ${expectedVersion}.`,
      );
    }
    this.set(key, value);
  }
}

function versionOf(seqno: number | undefined): string {
  if (seqno === undefined) throw new ApiError(503, "VersionUnknown", "Retry in a moment.");
  const view = ccf.consensus.getViewForSeqno(seqno);
  if (view === null) throw new ApiError(503, "ViewNotKnown", "Retry in a moment.");
  return `${view}.${seqno}`;
}
