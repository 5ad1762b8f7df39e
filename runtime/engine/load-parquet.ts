// Parquet inputs need random access, so each file is written whole to a private RAM directory,
// read into the table by DuckDB, and deleted at once.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";

import type { DuckDBConnection } from "@duckdb/node-api";

import type { DatasetField } from "../../contracts/src/dataset.js";
import { EngineError } from "./errors.js";
import { planFile } from "./projection.js";
import type { RamDirectory } from "./ram-directory.js";
import { duckdbType, ident, literal } from "./sql.js";
import type { InputFile } from "./types.js";

export async function loadParquetFile(
  connection: DuckDBConnection,
  directory: RamDirectory,
  view: string,
  fields: DatasetField[],
  file: InputFile,
  index: number,
): Promise<number> {
  const path = directory.file(`input-${index}.parquet`);
  try {
    await pipeline(await file.open(), createWriteStream(path, { flags: "wx", mode: 0o600 }));
    const invalid = () =>
      new EngineError(
        "InputInvalid",
        `view '${view}', file '${file.name}' is not a valid Parquet file`,
      );
    const scan = `read_parquet(${literal(path)})`;
    const columns = await connection
      .runAndReadAll(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${scan})`)
      .then((reader) => reader.getRowsJS().map((row) => String(row[0])))
      .catch(() => {
        throw invalid();
      });
    const plan = planFile(
      view,
      fields,
      file,
      columns,
      (column, field) => `CAST(${ident(column)} AS ${duckdbType(field.type)})`,
    );
    const sql = `INSERT INTO ${ident(view)} SELECT ${plan.selectList} FROM ${scan}`;
    const result = await connection.run(sql, plan.values).catch(() => {
      throw new EngineError(
        "InputInvalid",
        `view '${view}', file '${file.name}' does not match its schema (a value does not convert)`,
      );
    });
    return result.rowsChanged;
  } finally {
    await rm(path, { force: true });
  }
}
