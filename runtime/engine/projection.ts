// What a loaded table holds: the allowed fields of an input, in schema order, each taken either
// from the file or from the file's Hive partition values. The SQL never sees another column.
import type { DatasetField } from "../../contracts/src/dataset.js";
import { EngineError } from "./errors.js";
import { duckdbType, findColumn, ident } from "./sql.js";
import type { EngineInput, InputFile } from "./types.js";

/** The allowed fields of an input, in schema order. */
export function allowedColumns(input: EngineInput): DatasetField[] {
  const allowed = new Set(input.allowedFields);
  const fields = input.schema.filter((field) => allowed.has(field.name));
  const missing = input.allowedFields.filter((name) => !fields.some((f) => f.name === name));
  if (missing.length > 0 || fields.length === 0) {
    throw new EngineError(
      "InputInvalid",
      `view '${input.view}': allowed fields must be a non-empty subset of the schema`,
    );
  }
  return fields;
}

export function createTableSql(view: string, fields: DatasetField[]): string {
  const columns = fields.map((f) => `${ident(f.name)} ${duckdbType(f.type)}`).join(", ");
  return `CREATE TABLE ${ident(view)} (${columns})`;
}

/** How one file fills the table: a SELECT list and the partition values it binds. */
export interface FilePlan {
  selectList: string;
  values: Record<string, string>;
  /** The allowed fields read from the file itself (the others come from its partition). */
  fromFile: DatasetField[];
}

/**
 * The SELECT list loading `file`, whose own columns are `columns`: a field named by the file's
 * partition takes the partition value (cast to its type), any other is read from the file's column
 * of that name, found ignoring case (`spell` writes it, e.g. with a cast). A field the file lacks
 * refuses the file.
 */
export function planFile(
  view: string,
  fields: DatasetField[],
  file: InputFile,
  columns: string[],
  spell: (column: string, field: DatasetField) => string,
): FilePlan {
  const keys = Object.keys(file.partition);
  const values: Record<string, string> = {};
  const fromFile: DatasetField[] = [];
  const absent: string[] = [];
  const select = fields.map((field, i) => {
    const key = findColumn(keys, field.name);
    if (key === undefined) {
      fromFile.push(field);
      const column = findColumn(columns, field.name);
      if (column === undefined) absent.push(`'${field.name}'`);
      return `${spell(column ?? field.name, field)} AS ${ident(field.name)}`;
    }
    values[`p${i}`] = file.partition[key]!;
    return `CAST($p${i} AS ${duckdbType(field.type)}) AS ${ident(field.name)}`;
  });
  if (absent.length > 0) {
    throw new EngineError(
      "InputInvalid",
      `view '${view}', file '${file.name}' has no column ${absent.join(", ")}`,
    );
  }
  return { selectList: select.join(", "), values, fromFile };
}
