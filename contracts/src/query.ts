// A query: the SQL a clean room may run over a contract's datasets, and the rules its output must
// meet. Pure types and validators shared by governance, the CLI and the runtime.
import { ID_PATTERN, IDENTIFIER_PATTERN, ValidationProblems, isObject } from "./dataset.js";

export interface QuerySegment {
  name?: string;
  statement: string;
}

export interface QueryInput {
  datasetId: string;
  /** The name the SQL reads the dataset by. */
  view: string;
}

export const PARAMETER_TYPES = ["string", "integer", "number", "boolean", "date"] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export interface QueryParameter {
  type: ParameterType;
  required?: boolean;
}

export interface QueryDocument {
  description?: string;
  /** Statements run in order; the last one's result is the output. */
  sql: QuerySegment[];
  inputs: QueryInput[];
  output: { datasetId: string };
  parameters?: Record<string, QueryParameter>;
  preconditions?: { minRowsPerView?: number };
  thresholds?: { minGroupSize?: number; groupBy?: string[] };
}

const MAX_SEGMENTS = 64;
const MAX_STATEMENT = 65536;
const MAX_INPUTS = 32;
const MAX_PARAMETERS = 64;
const MAX_COUNT = 1_000_000_000;

function checkCount(problems: ValidationProblems, value: unknown, path: string, min: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > MAX_COUNT) {
    problems.add(path, `must be an integer between ${min} and ${MAX_COUNT}`);
  }
}

/** The problems of a query document (empty when it is valid). */
export function validateQueryDocument(value: unknown): string[] {
  const problems = new ValidationProblems();
  if (!isObject(value)) return ["document: must be an object"];
  problems.unknownKeys(
    value,
    ["description", "sql", "inputs", "output", "parameters", "preconditions", "thresholds"],
    "document",
  );
  problems.optionalString(value.description, "description");

  if (!Array.isArray(value.sql) || value.sql.length === 0 || value.sql.length > MAX_SEGMENTS) {
    problems.add("sql", `must be an array of 1 to ${MAX_SEGMENTS} {name?, statement}`);
  } else {
    const names = new Set<string>();
    value.sql.forEach((segment: unknown, i: number) => {
      const path = `sql[${i}]`;
      if (!isObject(segment)) return problems.add(path, "must be an object {name?, statement}");
      problems.unknownKeys(segment, ["name", "statement"], path);
      if (segment.name !== undefined) {
        if (typeof segment.name !== "string" || !IDENTIFIER_PATTERN.test(segment.name)) {
          problems.add(`${path}.name`, "must be an identifier (letters, digits, _)");
        } else if (names.has(segment.name)) {
          problems.add(`${path}.name`, `'${segment.name}' names two segments`);
        } else names.add(segment.name);
      }
      if (problems.string(segment.statement, `${path}.statement`, MAX_STATEMENT)) {
        if ((segment.statement as string).trim() === "") {
          problems.add(`${path}.statement`, "must not be blank");
        }
      }
    });
  }

  const datasets = new Set<string>();
  if (
    !Array.isArray(value.inputs) ||
    value.inputs.length === 0 ||
    value.inputs.length > MAX_INPUTS
  ) {
    problems.add("inputs", `must be an array of 1 to ${MAX_INPUTS} {datasetId, view}`);
  } else {
    const views = new Set<string>();
    value.inputs.forEach((input: unknown, i: number) => {
      const path = `inputs[${i}]`;
      if (!isObject(input)) return problems.add(path, "must be an object {datasetId, view}");
      problems.unknownKeys(input, ["datasetId", "view"], path);
      if (typeof input.datasetId !== "string" || !ID_PATTERN.test(input.datasetId)) {
        problems.add(`${path}.datasetId`, "must be a dataset id");
      } else if (datasets.has(input.datasetId)) {
        problems.add(`${path}.datasetId`, `'${input.datasetId}' is read twice`);
      } else datasets.add(input.datasetId);
      if (typeof input.view !== "string" || !IDENTIFIER_PATTERN.test(input.view)) {
        problems.add(`${path}.view`, "must be an identifier (letters, digits, _)");
      } else if (views.has(input.view.toLowerCase())) {
        problems.add(`${path}.view`, `'${input.view}' names two inputs`);
      } else views.add(input.view.toLowerCase());
    });
  }

  if (!isObject(value.output)) problems.add("output", "must be an object {datasetId}");
  else {
    problems.unknownKeys(value.output, ["datasetId"], "output");
    const id = value.output.datasetId;
    if (typeof id !== "string" || !ID_PATTERN.test(id)) {
      problems.add("output.datasetId", "must be a dataset id");
    } else if (datasets.has(id)) {
      problems.add("output.datasetId", `'${id}' is also an input: write to another dataset`);
    }
  }

  if (value.parameters !== undefined) {
    if (!isObject(value.parameters)) problems.add("parameters", "must be an object");
    else {
      const entries = Object.entries(value.parameters);
      if (entries.length > MAX_PARAMETERS) {
        problems.add("parameters", `must have at most ${MAX_PARAMETERS} parameters`);
      }
      for (const [name, parameter] of entries) {
        const path = `parameters.${name}`;
        if (!IDENTIFIER_PATTERN.test(name)) problems.add(path, "is not an identifier");
        if (!isObject(parameter)) {
          problems.add(path, "must be an object {type, required?}");
          continue;
        }
        problems.unknownKeys(parameter, ["type", "required"], path);
        if (!(PARAMETER_TYPES as readonly unknown[]).includes(parameter.type)) {
          problems.add(`${path}.type`, `must be one of ${PARAMETER_TYPES.join(", ")}`);
        }
        if (parameter.required !== undefined && typeof parameter.required !== "boolean") {
          problems.add(`${path}.required`, "must be a boolean");
        }
      }
    }
  }

  if (value.preconditions !== undefined) {
    if (!isObject(value.preconditions)) problems.add("preconditions", "must be an object");
    else {
      problems.unknownKeys(value.preconditions, ["minRowsPerView"], "preconditions");
      checkCount(problems, value.preconditions.minRowsPerView, "preconditions.minRowsPerView", 0);
    }
  }

  if (value.thresholds !== undefined) {
    if (!isObject(value.thresholds)) problems.add("thresholds", "must be an object");
    else {
      problems.unknownKeys(value.thresholds, ["minGroupSize", "groupBy"], "thresholds");
      checkCount(problems, value.thresholds.minGroupSize, "thresholds.minGroupSize", 1);
      const groupBy = value.thresholds.groupBy;
      if (groupBy !== undefined) {
        if (
          !Array.isArray(groupBy) ||
          groupBy.some((name) => typeof name !== "string" || !IDENTIFIER_PATTERN.test(name))
        ) {
          problems.add("thresholds.groupBy", "must be an array of column names");
        } else if (value.thresholds.minGroupSize === undefined) {
          problems.add("thresholds.groupBy", "needs thresholds.minGroupSize");
        }
      }
    }
  }
  return problems.list;
}

/** Every dataset a query reads or writes, inputs first, without duplicates. */
export function datasetsOf(document: Pick<QueryDocument, "inputs" | "output">): string[] {
  const ids = document.inputs.map((input) => input.datasetId);
  if (!ids.includes(document.output.datasetId)) ids.push(document.output.datasetId);
  return ids;
}

const DESCRIPTIONS: Record<ParameterType, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean",
  date: "a YYYY-MM-DD date",
};

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * The problems of a run's parameter values against the query's declarations: every required one
 * present, none undeclared, each of its declared type.
 */
export function validateQueryParameters(
  document: Pick<QueryDocument, "parameters">,
  values: unknown,
): string[] {
  const problems = new ValidationProblems();
  const declared = document.parameters ?? {};
  if (values === undefined) values = {};
  if (!isObject(values)) return ["parameters: must be an object"];
  for (const [name, parameter] of Object.entries(declared)) {
    if (parameter.required && values[name] === undefined) {
      problems.add(`parameters.${name}`, "is required");
    }
  }
  for (const [name, value] of Object.entries(values)) {
    const parameter = declared[name];
    const path = `parameters.${name}`;
    if (!parameter) {
      problems.add(path, "is not a parameter of this query");
      continue;
    }
    const ok =
      parameter.type === "string"
        ? typeof value === "string" && value.length <= 4096
        : parameter.type === "integer"
          ? typeof value === "number" && Number.isSafeInteger(value)
          : parameter.type === "number"
            ? typeof value === "number" && Number.isFinite(value)
            : parameter.type === "boolean"
              ? typeof value === "boolean"
              : typeof value === "string" && DATE.test(value);
    if (!ok) problems.add(path, `must be ${DESCRIPTIONS[parameter.type]}`);
  }
  return problems.list;
}
