// A dataset location in a local folder. Uploads are written to a temporary file in a hidden folder
// of the same directory tree and renamed into place once complete, so readers see the old object or
// the new one, never a partial one.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  createReadStream,
  createWriteStream,
  open as openFd,
  type Stats,
  type WriteStream,
} from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";

import { checkListPrefix, checkName, toReadable } from "./common.js";
import {
  StorageError,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type StorageBackend,
  type UploadSource,
  type DatasetLocation,
} from "./types.js";

/** Temporary uploads live here, under the location's root; `list` never shows them. */
export const LOCAL_TEMP_DIR = ".cleanroom-partial";

/**
 * Bytes per read: the encrypted format's default chunk size. Node's 64 KiB default costs a pool
 * round trip per 64 KiB and sixteen pieces per chunk to decrypt (benchmarked in bench/run.ts).
 */
const READ_SIZE = 1024 * 1024;
const openFile = promisify(openFd);

type LocalLocation = Extract<DatasetLocation, { kind: "local" }>;

export class LocalStorage implements StorageBackend {
  readonly location: LocalLocation;
  private readonly root: string;

  constructor(location: LocalLocation) {
    if (typeof location.path !== "string" || location.path.length === 0) {
      throw new StorageError("InvalidLocation", "a local location needs a folder path");
    }
    this.location = location;
    this.root = resolve(location.path);
  }

  private pathOf(name: string): string {
    checkName(name);
    if (name.split("/")[0] === LOCAL_TEMP_DIR) {
      throw new StorageError(
        "InvalidLocation",
        `object names may not start with ${LOCAL_TEMP_DIR}`,
      );
    }
    const full = resolve(this.root, ...name.split("/"));
    if (!full.startsWith(this.root + sep)) {
      throw new StorageError(
        "InvalidLocation",
        `object name ${JSON.stringify(name)} leaves the folder`,
      );
    }
    return full;
  }

  private async rootExists(): Promise<void> {
    let info: Stats;
    try {
      info = await stat(this.root);
    } catch (error) {
      throw fsError(error, this.root, "the dataset folder");
    }
    if (!info.isDirectory()) {
      throw new StorageError(
        "InvalidLocation",
        `${this.root} is not a folder: fix the dataset location`,
      );
    }
  }

  async create(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
    } catch (error) {
      throw fsError(error, this.root, "the dataset folder");
    }
  }

  async put(name: string, source: UploadSource, options: PutOptions = {}): Promise<PutResult> {
    const target = this.pathOf(name);
    await this.rootExists();
    const tempDir = join(this.root, LOCAL_TEMP_DIR);
    const temp = join(tempDir, `${randomBytes(12).toString("hex")}.partial`);
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        options.onProgress?.(size);
        callback(null, chunk);
      },
    });
    let sink: WriteStream | undefined;
    try {
      await mkdir(tempDir, { recursive: true });
      sink = createWriteStream(temp, { flags: "wx" });
      await pipeline(toReadable(source), counter, sink, { signal: options.signal });
      // Make the bytes durable before the rename makes them visible.
      const handle = await open(temp, "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (error) {
      // A source that fails at once can end the pipeline before the file is even open: wait for
      // the sink to close, or the file would appear after it was removed.
      if (sink !== undefined && !sink.closed) await once(sink, "close").catch(() => undefined);
      await rm(temp, { force: true });
      if (error instanceof StorageError) throw error;
      if (isFsError(error)) throw fsError(error, target, name);
      throw error;
    }
    return { size };
  }

  async get(name: string): Promise<Readable> {
    const path = this.pathOf(name);
    // Open first so a missing object is reported here, not on the first read. A plain descriptor,
    // not a FileHandle: the stream then reads with fs.read, and decrypting it was ~30% faster.
    try {
      const fd = await openFile(path, "r");
      return createReadStream(path, { fd, autoClose: true, highWaterMark: READ_SIZE });
    } catch (error) {
      throw fsError(error, path, name);
    }
  }

  async list(prefix?: string): Promise<ObjectInfo[]> {
    const wanted = checkListPrefix(prefix);
    await this.rootExists();
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true });
      for (const entry of entries) {
        const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
        if (rel === "" && entry.name === LOCAL_TEMP_DIR) continue;
        if (entry.isDirectory()) {
          // Only descend where names could still match the prefix.
          if (name.startsWith(wanted) || wanted.startsWith(`${name}/`)) {
            await walk(join(dir, entry.name), name);
          }
        } else if (entry.isFile() && name.startsWith(wanted)) {
          out.push({ name, size: (await stat(join(dir, entry.name))).size });
        }
      }
    };
    try {
      await walk(this.root, "");
    } catch (error) {
      throw fsError(error, this.root, "the dataset folder");
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string): Promise<void> {
    const path = this.pathOf(name);
    try {
      await rm(path, { force: true });
    } catch (error) {
      throw fsError(error, path, name);
    }
  }

  async exists(name: string): Promise<boolean> {
    const path = this.pathOf(name);
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (isFsError(error) && error.code === "ENOENT") return false;
      throw fsError(error, path, name);
    }
  }
}

function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string";
}

function fsError(error: unknown, path: string, what: string): Error {
  if (!isFsError(error)) return error instanceof Error ? error : new Error(String(error));
  switch (error.code) {
    case "ENOENT":
    case "ENOTDIR":
      return new StorageError(
        "NotFound",
        `${what} not found (${path}): check the name and the dataset location`,
        error.code,
      );
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new StorageError(
        "AccessDenied",
        `no permission for ${path}: check the folder's owner and mode`,
        error.code,
      );
    default:
      return error;
  }
}
