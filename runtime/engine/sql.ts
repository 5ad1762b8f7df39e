// SQL spelling helpers and the mapping of dataset field types to DuckDB types.
import type { FieldType } from "../../contracts/src/dataset.js";

/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A quoted SQL string literal (for names the engine controls, never for data). */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * DuckDB's type for each schema type. `decimal` has no declared precision in a schema: DECIMAL(38,9)
 * holds 29 integer digits and 9 fractional ones (values with more fractional digits are rounded).
 */
const DUCKDB_TYPES: Record<FieldType, string> = {
  string: "VARCHAR",
  integer: "INTEGER",
  long: "BIGINT",
  float: "FLOAT",
  double: "DOUBLE",
  decimal: "DECIMAL(38,9)",
  boolean: "BOOLEAN",
  date: "DATE",
  timestamp: "TIMESTAMP",
  binary: "BLOB",
};

export function duckdbType(type: FieldType): string {
  return DUCKDB_TYPES[type];
}

/** Finds `name` among `columns` ignoring case, as DuckDB resolves identifiers. */
export function findColumn(columns: readonly string[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  return columns.find((column) => column.toLowerCase() === wanted);
}
