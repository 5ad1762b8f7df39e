/**
 * Documents people write (contracts, queries, datasets) read from a file: JSON (`.json`) or YAML
 * (anything else, e.g. `.yaml`, `.yml`). YAML is read with js-yaml's JSON schema — plain data
 * only: no tags, no custom types; `true`/`false`/`null` and decimal numbers as in JSON, anything
 * else (`00`, `yes`, a date) a string — and a duplicated key is an error, not a silent override.
 * A syntax error names the file, line and column.
 */
import { JSON_SCHEMA, load, YAMLException } from "js-yaml";
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { UserError } from "./errors.js";

export interface DocumentSource {
  /** What the document is, for messages: "contract", "query". */
  what: string;
  /** The error code for a document that does not parse (e.g. InvalidContract). */
  code: string;
  /** The option that names the file, for the hint (e.g. --file). */
  option: string;
}

const isJson = (file: string) => extname(file).toLowerCase() === ".json";

type Parsed = { value: unknown } | { at: string; reason: string };

/** The YAML text's value, or where (`:line:column`, 1-based) and why it does not parse. */
function parseYamlText(text: string, file: string): Parsed {
  try {
    return { value: load(text, { schema: JSON_SCHEMA, filename: file }) };
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const mark = error.mark;
    return { at: mark ? `:${mark.line + 1}:${mark.column + 1}` : "", reason: error.reason };
  }
}

/** `:line:column` (1-based) of a character offset. */
function place(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `:${before.length}:${before[before.length - 1]!.length + 1}`;
}

function parseJson(file: string, text: string, source: DocumentSource): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse says where for most errors ("… in JSON at position 12"); else ask the YAML
    // parser (JSON text is YAML), which may stop at the same place.
    const message = (error as Error).message;
    const position = / in JSON at position (\d+)/.exec(message);
    const yaml = position ? undefined : parseYamlText(text, file);
    const at = position ? place(text, Number(position[1])) : yaml && "at" in yaml ? yaml.at : "";
    const reason = message.replace(/ in JSON at position \d+.*$/, "").split(", ")[0];
    throw new UserError(
      `${file}${at}: not valid JSON (${reason})`,
      `fix the ${source.what} document there; YAML works too (a .yaml file)`,
      source.code,
    );
  }
}

function parseYaml(file: string, text: string, source: DocumentSource): unknown {
  const parsed = parseYamlText(text, file);
  if ("value" in parsed) return parsed.value;
  throw new UserError(
    `${file}${parsed.at}: not valid YAML (${parsed.reason})`,
    `fix the ${source.what} document there (quote values such as hex digits to keep them text)`,
    source.code,
  );
}

/** The document in `file`, parsed (not yet validated: the caller's validator names fields). */
export function readDocument(file: string, source: DocumentSource): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(
      `cannot read ${file} (${(error as { code?: string }).code ?? "error"})`,
      `pass the path of a ${source.what} document (YAML or JSON) with ${source.option}`,
      "FileNotFound",
    );
  }
  return isJson(file) ? parseJson(file, text, source) : parseYaml(file, text, source);
}
