/**
 * What the query verbs share: building a query document from a SQL file and options, naming
 * versions, parsing approval limits, and showing a version's state and votes.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import {
  PARAMETER_TYPES,
  validateQueryDocument,
  type ParameterType,
  type QueryDocument,
  type QueryParameter,
  type QuerySegment,
} from "../../../contracts/src/query.js";
import type {
  AppClient,
  QuerySummary,
  QueryVersion,
  QueryView,
} from "../../../client/governance/index.js";
import { integer } from "../../command.js";
import { readDocument } from "../../documents.js";
import { UserError } from "../../errors.js";

export interface QueryDocumentOptions {
  /** The whole document, YAML or JSON (instead of the flags below). */
  file?: string;
  sql?: string;
  input: string[];
  output?: string;
  description?: string;
  minGroupSize?: number;
  groupBy?: string;
  minRows?: number;
  parameter: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The options of `query create` and `query propose`. */
export function withDocumentOptions(command: Command): Command {
  return command
    .option(
      "--file <query.yaml>",
      "the whole query document (YAML, or JSON if it ends in .json) instead of the options below",
    )
    .option(
      "--sql <file>",
      "the SQL: statements separated by lines of --- (`--- name` names the next one)",
    )
    .option(
      "--input <datasetId:view>",
      "a dataset the query reads, and the view name its SQL uses (repeat)",
      collect,
      [],
    )
    .option("--output <datasetId>", "the dataset the result is written to")
    .option("--description <text>", "what the query is for")
    .option(
      "--min-group-size <n>",
      "drop result groups with fewer rows than this",
      integer(1, 1_000_000_000),
    )
    .option("--group-by <columns>", "comma-separated columns the group size is counted over")
    .option(
      "--min-rows <n>",
      "refuse to run unless every input view has at least this many rows",
      integer(0, 1_000_000_000),
    )
    .option(
      "--parameter <name:type>",
      `a run parameter (${PARAMETER_TYPES.join("|")}; add :optional), repeatable`,
      collect,
      [],
    );
}

/**
 * SQL segments: the file's text split at lines `---`; a separator line may name the segment after
 * it (`--- joined`), which later segments then read as a table. Blank segments are dropped.
 */
export function sqlSegments(text: string): QuerySegment[] {
  const parts = text.split(/^[ \t]*---[ \t]*(?:([A-Za-z_][A-Za-z0-9_]*)[ \t]*)?$/m);
  const segments: QuerySegment[] = [];
  // split() with a capture group alternates text, name, text, name, …: a name labels what follows.
  for (let i = 0; i < parts.length; i += 2) {
    const statement = (parts[i] ?? "").trim();
    if (statement === "") continue;
    const name = i > 0 ? parts[i - 1] : undefined;
    segments.push(name === undefined ? { statement } : { name, statement });
  }
  return segments;
}

function parameterOf(spec: string): [string, QueryParameter] {
  const [name, type, flag, ...rest] = spec.split(":");
  if (
    !name ||
    !(PARAMETER_TYPES as readonly string[]).includes(type ?? "") ||
    rest.length > 0 ||
    (flag !== undefined && flag !== "optional")
  ) {
    throw new UserError(
      `--parameter '${spec}' is not name:type[:optional]`,
      `types: ${PARAMETER_TYPES.join(", ")}; e.g. --parameter since:date`,
      "InvalidQuery",
    );
  }
  return [name, { type: type as ParameterType, required: flag === undefined }];
}

/** Whether any option that builds the document was given (they do not mix with --file). */
function hasDocumentFlags(options: QueryDocumentOptions): boolean {
  return (
    options.sql !== undefined ||
    options.input.length > 0 ||
    options.output !== undefined ||
    options.description !== undefined ||
    options.minGroupSize !== undefined ||
    options.groupBy !== undefined ||
    options.minRows !== undefined ||
    options.parameter.length > 0
  );
}

/** The document built from --sql, --input, --output and the rest. */
function documentFromFlags(options: QueryDocumentOptions): QueryDocument {
  if (options.sql === undefined || options.input.length === 0 || options.output === undefined) {
    throw new UserError(
      "a query needs --sql, --input (at least one) and --output, or --file with the whole document",
      "e.g. --sql overlap.sql --input northwind-audience:audience --output woodgrove-output, or --file contracts/templates/query.yaml",
      "UsageError",
    );
  }
  if (!existsSync(options.sql)) {
    throw new UserError(`no SQL file at ${options.sql}`, "pass --sql <file>", "InvalidQuery");
  }
  const sql = sqlSegments(readFileSync(options.sql, "utf8"));
  const inputs = options.input.map((spec) => {
    const match = /^([^:]+):([^:]+)$/.exec(spec);
    if (!match) {
      throw new UserError(
        `--input '${spec}' is not datasetId:view`,
        "e.g. --input northwind-audience:audience",
        "InvalidQuery",
      );
    }
    return { datasetId: match[1]!, view: match[2]! };
  });
  const document: QueryDocument = { sql, inputs, output: { datasetId: options.output } };
  if (options.description !== undefined) document.description = options.description;
  if (options.parameter.length > 0) {
    document.parameters = Object.fromEntries(options.parameter.map(parameterOf));
  }
  if (options.minRows !== undefined) {
    document.preconditions = { minRowsPerView: options.minRows };
  }
  if (options.minGroupSize !== undefined || options.groupBy !== undefined) {
    document.thresholds = {};
    if (options.minGroupSize !== undefined) document.thresholds.minGroupSize = options.minGroupSize;
    if (options.groupBy !== undefined) {
      document.thresholds.groupBy = options.groupBy.split(",").map((c) => c.trim());
    }
  }
  return document;
}

/** The query document from --file or the options, validated as governance will validate it. */
export function queryDocumentFrom(options: QueryDocumentOptions): QueryDocument {
  let document: QueryDocument;
  if (options.file !== undefined) {
    if (hasDocumentFlags(options)) {
      throw new UserError(
        "--file and the document options (--sql, --input, --output, …) go separately",
        "put everything in the file, or leave --file out",
        "UsageError",
      );
    }
    document = readDocument(options.file, {
      what: "query",
      code: "InvalidQuery",
      option: "--file",
    }) as QueryDocument;
  } else {
    document = documentFromFlags(options);
  }
  const source = options.file ?? "the SQL file or the options";
  const problems = validateQueryDocument(document);
  if (problems.length > 0) {
    throw new UserError(
      `the query is invalid: ${problems.join("; ")}`,
      `fix ${source} and try again`,
      "InvalidQuery",
    );
  }
  return document;
}

const DURATION = /^(\d+)\s*([smhdw])$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `7d`, `12h`, `30m`, `90s`, `2w` → seconds (a commander option parser). */
export function duration(value: string): number {
  const match = DURATION.exec(value.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new InvalidArgumentError(`expected a duration such as 7d, 12h or 30m, not '${value}'`);
  }
  return seconds;
}

/** A version number option: 1, 2, … */
export function versionNumber(value: string): string {
  if (!/^[1-9]\d{0,8}$/.test(value.trim())) {
    throw new InvalidArgumentError(`expected a version number (1, 2, …), not '${value}'`);
  }
  return value.trim();
}

/** The version to act on: the one given, else the query's latest. */
export async function resolveVersion(
  app: AppClient,
  contractId: string,
  queryId: string,
  version: string | undefined,
): Promise<QueryVersion> {
  if (version !== undefined) return app.queryVersion(contractId, queryId, version);
  const view = await app.query(contractId, queryId);
  const latest = view.versions[0];
  if (!latest) {
    throw new UserError(`query ${queryId} has no versions`, "propose one", "QueryNotFound");
  }
  return latest;
}

/** A query's latest version: listed queries carry only it, a read query all its versions. */
export function latestOf(view: QueryView | QuerySummary): QueryVersion | undefined {
  return "latest" in view ? view.latest : view.versions[0];
}

export const short = (id: string) => (id.length > 16 ? `${id.slice(0, 12)}…` : id);

export const when = (seconds: number) => new Date(seconds * 1000).toISOString();

/** `2 of 3 accepted` and who has not voted. */
export function voteSummary(version: QueryVersion): string {
  const accepted = version.approvers.filter((id) => version.ballots[id]?.vote === "accept");
  return `${accepted.length} of ${version.approvers.length} accepted`;
}

/** One line per version of a query. */
export function versionLines(view: QueryView, name = short): string[] {
  return view.versions.map((v) => {
    const waiting = v.approvers.filter((id) => v.ballots[id] === undefined).map(name);
    const tail =
      v.state === "Proposed" && waiting.length > 0 ? `; waiting for ${waiting.join(", ")}` : "";
    return `  v${v.version}  ${v.state}${v.superseded ? " (superseded)" : ""}  ${voteSummary(v)}, ${v.runsUsed} run(s)${tail}`;
  });
}
