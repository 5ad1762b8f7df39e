// Small reads of the engine's own tables.
import type { DuckDBConnection } from "@duckdb/node-api";

import { ident } from "./sql.js";

export async function columnsOf(connection: DuckDBConnection, table: string): Promise<string[]> {
  const result = await connection.run(`SELECT * FROM ${ident(table)} LIMIT 0`);
  return result.columnNames();
}

/** The first column of the first row, as a number (counts). */
export async function scalar(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRowsJS()[0]?.[0] ?? 0);
}
