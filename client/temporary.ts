/**
 * Files written under a temporary name next to their destination and renamed into place only when
 * complete: one naming scheme and one registry for every command that writes files, so that
 * listings can skip them, and an interrupted command can remove them (removeTemporariesSync).
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/** Fixed length, whatever the destination's name (a long name must not overflow NAME_MAX). */
const NAME = /^\.cleanroom-[0-9a-f]{12}\.partial$/;
const live = new Set<string>();

/** Whether `name` (a file name, not a path) is one of these temporary files. */
export const isTemporaryName = (name: string): boolean => NAME.test(name);

/** A new temporary path in `destination`'s folder (created), registered until settled. */
export async function temporaryFor(destination: string): Promise<string> {
  const folder = dirname(resolve(destination));
  await mkdir(folder, { recursive: true });
  const path = join(folder, `.cleanroom-${randomBytes(6).toString("hex")}.partial`);
  live.add(path);
  return path;
}

/** Removes the temporary file (if it exists) and forgets it. */
export async function discard(temporary: string): Promise<void> {
  await rm(temporary, { force: true });
  live.delete(temporary);
}

/** Renames the temporary file to `destination` and forgets it. */
export async function settle(temporary: string, destination: string): Promise<void> {
  await rename(temporary, destination);
  live.delete(temporary);
}

/**
 * Removes every temporary file not yet settled or discarded, synchronously: for a signal handler,
 * which cannot wait (an interrupted decryption must not leave unverified plaintext behind).
 */
export function removeTemporariesSync(): void {
  for (const path of live) rmSync(path, { force: true });
  live.clear();
}

/** Writes `output` through `write(temporaryPath)`; renames on success, removes on failure. */
export async function writeAtomically(
  output: string,
  durable: boolean,
  write: (temporary: string) => Promise<void>,
): Promise<void> {
  const temporary = await temporaryFor(output);
  try {
    await write(temporary);
    if (durable) {
      const handle = await open(temporary, "r+");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await settle(temporary, output);
  } catch (error) {
    await discard(temporary);
    throw error;
  }
}
