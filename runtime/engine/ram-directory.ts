// A private directory in RAM (tmpfs) where plaintext may sit while DuckDB reads it: the FIFOs
// CSV inputs stream through, and Parquet files (which DuckDB must read with random access).
// Nothing put there reaches a disk; if the place is not RAM-backed, loading refuses to start.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readdir, rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

import { EngineError } from "./errors.js";

/** Linux statfs magic numbers of the RAM-backed file systems (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

export const DEFAULT_RAM_DIRECTORY = "/dev/shm";

const PREFIX = "cleanroom-engine-";
/** An engine's directory is named after its process: `cleanroom-engine-<pid>-<random>`. */
const OWNED = /^cleanroom-engine-(\d+)-/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Removes the directories of engines whose process is gone: a process killed while loading leaves
 * its directory behind, possibly with a Parquet file's plaintext, until the next engine starts.
 */
async function sweep(parent: string): Promise<void> {
  for (const name of await readdir(parent)) {
    const pid = OWNED.exec(name)?.[1];
    if (pid !== undefined && !alive(Number(pid))) {
      await rm(join(parent, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

export class RamDirectory {
  private constructor(readonly path: string) {}

  /** A fresh 0700 directory under `parent`, which must be on tmpfs or ramfs. */
  static async create(parent: string): Promise<RamDirectory> {
    let type: number;
    try {
      type = (await statfs(parent)).type;
    } catch {
      throw new EngineError("InputInvalid", `no RAM-backed directory at ${parent} to load inputs`);
    }
    if (type !== TMPFS_MAGIC && type !== RAMFS_MAGIC) {
      throw new EngineError(
        "InputInvalid",
        `${parent} is not RAM-backed (tmpfs or ramfs): inputs are never loaded through a disk`,
      );
    }
    await sweep(parent);
    const path = await mkdtemp(join(parent, `${PREFIX}${process.pid}-`));
    await chmod(path, 0o700);
    return new RamDirectory(path);
  }

  /** A new FIFO (named pipe) readable and writable by this process only. */
  async fifo(name: string): Promise<string> {
    const path = join(this.path, name);
    await promisify(execFile)("mkfifo", ["-m", "0600", path]);
    return path;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
