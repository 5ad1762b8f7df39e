/**
 * The runtime's public entry (runtime/index.ts), loaded only by the commands that need it: it
 * brings DuckDB, which every other command can do without.
 */
export type { LogEntry, RuntimeStatus } from "../../../runtime/index.js";

export const runtimeEntry = () => import("../../../runtime/index.js");
