// The output's last shaping: projected to its dataset's allowed fields (schema order, cast to the
// schema's types), then read out as CSV.
import type { DuckDBConnection } from "@duckdb/node-api";

import { EngineError } from "./errors.js";
import { columnsOf, scalar } from "./relations.js";
import { duckdbType, findColumn, ident } from "./sql.js";
import type { EngineOutput } from "./types.js";

export const OUTPUT_TABLE = "cleanroom$output";

/** Creates the output table from `table`; returns its columns and row count. */
export async function projectOutput(
  connection: DuckDBConnection,
  table: string,
  output: EngineOutput,
): Promise<{ columns: string[]; rows: number }> {
  const available = await columnsOf(connection, table);
  const allowed = new Set(output.allowedFields);
  const kept = output.schema.flatMap((field) => {
    const column = allowed.has(field.name) ? findColumn(available, field.name) : undefined;
    return column === undefined ? [] : [{ field, column }];
  });
  if (kept.length === 0) {
    throw new EngineError(
      "OutputInvalid",
      `the result has none of the allowed fields of output dataset '${output.datasetId}'`,
    );
  }
  const select = kept
    .map(
      ({ field, column }) =>
        `CAST(${ident(column)} AS ${duckdbType(field.type)}) AS ${ident(field.name)}`,
    )
    .join(", ");
  await connection.run(
    `CREATE TEMP TABLE ${ident(OUTPUT_TABLE)} AS SELECT ${select} FROM ${ident(table)}`,
  );
  const rows = await scalar(connection, `SELECT count(*) FROM ${ident(OUTPUT_TABLE)}`);
  return { columns: kept.map(({ field }) => field.name), rows };
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return text === "" || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/** The output table as CSV, one chunk of bytes per DuckDB vector of rows. */
export async function* outputCsv(
  connection: DuckDBConnection,
  columns: string[],
): AsyncGenerator<Uint8Array> {
  yield Buffer.from(csvLine(columns));
  const text = columns.map((c) => `CAST(${ident(c)} AS VARCHAR)`).join(", ");
  const result = await connection.stream(`SELECT ${text} FROM ${ident(OUTPUT_TABLE)}`);
  for await (const rows of result.yieldRows()) {
    yield Buffer.from(rows.map(csvLine).join(""));
  }
}
