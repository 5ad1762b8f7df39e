// DuckDB's settings for a run: how the engine's database is opened, and how it is locked before
// the approved SQL runs so that the SQL reaches nothing but the tables already loaded.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

import type { EngineLimits } from "./types.js";

/**
 * Settings from the start: no extension is installed or loaded behind the SQL's back, nothing
 * spills to a temporary directory (an empty `temp_directory` turns spilling off: a query that does
 * not fit in memory fails instead of writing plaintext to disk), no secret is ever persisted.
 */
const STARTUP_SETTINGS: Record<string, string> = {
  autoinstall_known_extensions: "false",
  autoload_known_extensions: "false",
  allow_community_extensions: "false",
  allow_unsigned_extensions: "false",
  allow_persistent_secrets: "false",
  temp_directory: "",
};

/** What `lockDown` sets, in order; the last one freezes every setting. */
const LOCKDOWN = [
  "SET enable_external_access = false",
  "SET autoinstall_known_extensions = false",
  "SET autoload_known_extensions = false",
  "SET lock_configuration = true",
];

/** A new in-memory database with the startup settings. */
export async function openDuckDB(
  limits: EngineLimits,
): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const settings = { ...STARTUP_SETTINGS };
  if (limits.memoryLimit !== undefined) settings.memory_limit = limits.memoryLimit;
  if (limits.threads !== undefined) settings.threads = String(limits.threads);
  const instance = await DuckDBInstance.create(":memory:", settings);
  return { instance, connection: await instance.connect() };
}

/** Turns external access off and locks the configuration; checks that it took. */
export async function lockDown(connection: DuckDBConnection): Promise<void> {
  for (const statement of LOCKDOWN) await connection.run(statement);
  const reader = await connection.runAndReadAll(
    "SELECT current_setting('enable_external_access'), current_setting('lock_configuration')",
  );
  const [external, locked] = reader.getRowsJS()[0] ?? [];
  if (external !== false || locked !== true) throw new Error("DuckDB did not lock down");
}
