// Run parameters bound as DuckDB named parameters ($name), typed per the query's declarations.
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  VARCHAR,
  dateValue,
  type DuckDBPreparedStatement,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";

import type { ParameterType, QueryParameter } from "../../contracts/src/query.js";
import { validateQueryParameters } from "../../contracts/src/query.js";
import { EngineError } from "./errors.js";

const TYPES: Record<ParameterType, DuckDBType> = {
  string: VARCHAR,
  integer: BIGINT,
  number: DOUBLE,
  boolean: BOOLEAN,
  date: DATE,
};

function toValue(type: ParameterType, value: unknown): DuckDBValue {
  if (value === undefined || value === null) return null;
  if (type === "date") {
    const [year, month, day] = String(value).split("-").map(Number);
    return dateValue({ year: year!, month: month!, day: day! });
  }
  return value as DuckDBValue;
}

/** Refuses values that do not meet the declarations (the messages name parameters, not values). */
export function checkParameters(
  declared: Record<string, QueryParameter> | undefined,
  values: Record<string, unknown>,
): void {
  const problems = validateQueryParameters({ parameters: declared }, values);
  if (problems.length > 0) throw new EngineError("ParameterInvalid", problems.join("; "));
}

/**
 * Binds the parameters a prepared segment names; an optional one without a value is NULL of its
 * type. A name the query does not declare (or a positional `$1`/`?`) is refused.
 */
export function bindParameters(
  statement: DuckDBPreparedStatement,
  declared: Record<string, QueryParameter>,
  values: Record<string, unknown>,
  segment: string,
): void {
  const bound: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (let i = 1; i <= statement.parameterCount; i++) {
    const name = statement.parameterName(i);
    const parameter = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (!parameter) {
      throw new EngineError(
        "ParameterInvalid",
        `segment ${segment} uses parameter $${name}, which the query does not declare`,
      );
    }
    bound[name] = toValue(parameter.type, values[name]);
    types[name] = TYPES[parameter.type];
  }
  if (statement.parameterCount > 0) statement.bind(bound, types);
}
