// Output thresholds (docs/runtime.md, "Thresholds"): output rows whose group counts fewer than
// minGroupSize rows are dropped. A group's size is counted in `source`: the relation the last
// segment reads (the previous segment's result), or the output itself for a one-segment query.
import type { DuckDBConnection } from "@duckdb/node-api";

import { EngineError } from "./errors.js";
import { columnsOf, scalar } from "./relations.js";
import { findColumn, ident } from "./sql.js";
import type { QuerySpec } from "./types.js";

const SIZES = ident("cleanroom$sizes");
const KEPT = ident("cleanroom$kept");
const N = ident("cleanroom$n");
const ROW = ident("cleanroom$row");

export interface Thresholded {
  table: string;
  droppedGroups: number;
}

function resolve(columns: string[], names: string[], where: string): string[] {
  return names.map((name) => {
    const column = findColumn(columns, name);
    if (column === undefined) {
      throw new EngineError(
        "QueryFailed",
        `thresholds.groupBy: '${name}' is not a column of ${where}`,
      );
    }
    return ident(column);
  });
}

export async function applyThresholds(
  connection: DuckDBConnection,
  thresholds: QuerySpec["thresholds"],
  output: string,
  source: string,
): Promise<Thresholded> {
  const k = thresholds?.minGroupSize;
  if (k === undefined) return { table: output, droppedGroups: 0 };
  const groupBy = thresholds?.groupBy ?? [];
  const out = ident(output);
  if (groupBy.length === 0) {
    const rows = await scalar(connection, `SELECT count(*) FROM ${out}`);
    if (rows === 0 || rows >= k) return { table: output, droppedGroups: 0 };
    await connection.run(`CREATE TEMP TABLE ${KEPT} AS SELECT * FROM ${out} LIMIT 0`);
    return { table: "cleanroom$kept", droppedGroups: 1 };
  }

  const outKeys = resolve(await columnsOf(connection, output), groupBy, `the output (${output})`);
  const sourceKeys = resolve(await columnsOf(connection, source), groupBy, `segment ${source}`);
  const groups = sourceKeys.map((key, i) => `${key} AS ${ident(`cleanroom$g${i}`)}`).join(", ");
  await connection.run(
    `CREATE TEMP TABLE ${SIZES} AS SELECT ${groups}, count(*) AS ${N} FROM ${ident(source)} GROUP BY ALL`,
  );
  const match = outKeys
    .map((key, i) => `o.${key} IS NOT DISTINCT FROM s.${ident(`cleanroom$g${i}`)}`)
    .join(" AND ");
  const size = `coalesce(s.${N}, 0)`;
  // Row numbers keep the output's order (an ORDER BY in the last segment) through the join; the
  // sizes hold one row per group, so the join never repeats an output row.
  await connection.run(
    `CREATE TEMP TABLE ${KEPT} AS SELECT o.* EXCLUDE (${ROW}) FROM ` +
      `(SELECT *, row_number() OVER () AS ${ROW} FROM ${out}) o ` +
      `LEFT JOIN ${SIZES} s ON ${match} WHERE ${size} >= ${k} ORDER BY o.${ROW}`,
  );
  const droppedGroups = await scalar(
    connection,
    `SELECT count(*) FROM (SELECT DISTINCT ${outKeys.join(", ")} FROM ${out}) o ` +
      `LEFT JOIN ${SIZES} s ON ${match} WHERE ${size} < ${k}`,
  );
  return { table: "cleanroom$kept", droppedGroups };
}
