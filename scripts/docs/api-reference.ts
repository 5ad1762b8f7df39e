/**
 * docs/api.md from the governance app's route table (`governance/build/app.json`, which the build
 * merges from `governance/routes/*.json`): every route with who may call it, its authentication
 * policies, mode, handler and query parameters, grouped by the module that serves it.
 */
import { readFileSync } from "node:fs";
import { formatMarkdown, generatedNotice, repoPath } from "./markdown.js";

export const APP_JSON = "governance/build/app.json";
export const API_PAGE = "docs/api.md";

interface Schema {
  type?: string;
  minimum?: number;
  maximum?: number;
  enum?: readonly (string | number)[];
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}

export interface Route {
  js_module: string;
  js_function: string;
  authn_policies: readonly string[];
  mode?: string;
  openapi?: {
    summary?: string;
    "x-principals"?: readonly string[];
    parameters?: readonly Parameter[];
  };
}

export interface AppJson {
  endpoints: Record<string, Record<string, Route>>;
}

const METHOD_ORDER = ["get", "put", "post", "patch", "delete"];

/** What each `x-principals` name means (the names governance/src/lib/caller.ts resolves). */
const PRINCIPALS: [string, string][] = [
  ["anonymous", "anyone: no certificate or token, or one the consortium does not know"],
  ["member", "an Active CCF member (`member_cert`)"],
  [
    "user",
    "a CCF user (`set_user`), or an identity that accepted a user invitation (certificate or token)",
  ],
  ["participant", "a member or user named in the contract (accepted document, draft or proposal)"],
  ["owner", "the participant that owns the dataset or access grant named in the path"],
  ["approver", "the query's proposer or one of its approvers (owners of the datasets it touches)"],
  [
    "runtime",
    "the attested clean room of a run: its claim is authenticated by attestation, every later " +
      "request by a signature of the key the claim bound",
  ],
];

const POLICIES: [string, string][] = [
  ["member_cert", "TLS client certificate of a CCF member"],
  ["user_cert", "TLS client certificate of a CCF user"],
  ["any_cert", "any TLS client certificate (invited identities, checked by the app)"],
  ["jwt", "bearer token from an issuer members trust (`set_jwt_issuer`)"],
  ["no_auth", "none at the CCF level; the handler authenticates (attestation, signed payloads)"],
];

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

function describeSchema(schema: Schema | undefined): string {
  if (!schema) return "";
  if (schema.enum) return `one of ${schema.enum.map((v) => `\`${v}\``).join(", ")}`;
  const type = schema.type ?? "value";
  const { minimum: min, maximum: max } = schema;
  if (min !== undefined && max !== undefined) return `${type}, ${min} to ${max}`;
  if (min !== undefined) return `${type}, at least ${min}`;
  if (max !== undefined) return `${type}, at most ${max}`;
  return type;
}

function describeParameter(p: Parameter): string {
  const details = [p.in, describeSchema(p.schema), p.required ? "required" : ""].filter(Boolean);
  return `\`${p.name}\` (${details.join(", ")})`;
}

interface Entry {
  method: string;
  path: string;
  route: Route;
}

function entriesByModule(app: AppJson): Map<string, Entry[]> {
  const modules = new Map<string, Entry[]>();
  for (const [path, methods] of Object.entries(app.endpoints)) {
    for (const [method, route] of Object.entries(methods)) {
      const list = modules.get(route.js_module) ?? [];
      list.push({ method, path, route });
      modules.set(route.js_module, list);
    }
  }
  const rank = (method: string) => {
    const i = METHOD_ORDER.indexOf(method);
    return i === -1 ? METHOD_ORDER.length : i;
  };
  for (const list of modules.values()) {
    list.sort((a, b) =>
      a.path === b.path ? rank(a.method) - rank(b.method) : a.path < b.path ? -1 : 1,
    );
  }
  return new Map([...modules.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

function routeName(e: Entry): string {
  return `${e.method.toUpperCase()} /app${e.path}`;
}

function moduleSection(module: string, entries: Entry[]): string[] {
  const name = module.replace(/^endpoints\//, "").replace(/\.js$/, "");
  const lines = [
    `## ${name}`,
    "",
    `Served by \`${module}\` (source \`governance/src/${module.replace(/\.js$/, ".ts")}\`).`,
    "",
    "| Route | Who | Authentication | Mode | Handler | What |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const e of entries) {
    const who = (e.route.openapi?.["x-principals"] ?? []).join(", ");
    lines.push(
      `| \`${routeName(e)}\` | ${who} | ${e.route.authn_policies.join(", ")} | ` +
        `${e.route.mode ?? "readwrite"} | \`${e.route.js_function}\` | ` +
        `${cell(e.route.openapi?.summary ?? "")} |`,
    );
  }
  const withParameters = entries.filter((e) => (e.route.openapi?.parameters ?? []).length > 0);
  if (withParameters.length > 0) {
    lines.push("", "Query parameters:", "");
    for (const e of withParameters) {
      const parameters = e.route.openapi!.parameters!.map(describeParameter).join("; ");
      lines.push(`- \`${routeName(e)}\`: ${parameters}`);
    }
  }
  lines.push("");
  return lines;
}

/** The page, from a parsed app.json. */
export async function renderApiReference(app: AppJson): Promise<string> {
  const modules = entriesByModule(app);
  const count = [...modules.values()].reduce((n, list) => n + list.length, 0);
  const lines = [
    "# Governance API reference",
    "",
    generatedNotice(`\`${APP_JSON}\``),
    "",
    `The governance app's ${count} routes, as its route table declares them (\`${APP_JSON}\`, ` +
      "merged by the build from `governance/routes/*.json`). Every path is under `/app`. The " +
      "request and response bodies, error codes and the rules each route enforces are described " +
      "in [governance.md](governance.md), [oidc-issuer.md](oidc-issuer.md) and " +
      "[audit-events.md](audit-events.md); a running node serves the same table as OpenAPI at " +
      "`GET /app/api`.",
    "",
    'Errors are `{"error": {"code", "message"}}` with a stable code. A request refused by ' +
      "its authentication policies gets CCF's 401 before the handler runs; a handler refuses " +
      "callers its **Who** column does not list (a test calls every route as every kind of caller).",
    "",
    '**Who** (`openapi["x-principals"]`):',
    "",
    ...PRINCIPALS.map(([name, meaning]) => `- \`${name}\`: ${meaning}.`),
    "",
    "**Authentication** (`authn_policies`; CCF tries them in order, the first that passes wins):",
    "",
    ...POLICIES.map(([name, meaning]) => `- \`${name}\`: ${meaning}.`),
    "",
    "**Mode**: `readonly` routes run in a read-only transaction; `readwrite` routes commit their " +
      "writes when the response is a 2xx.",
    "",
    "Not listed here, because CCF itself serves them (and so does the sandbox): `GET /app/commit`, " +
      "`GET /app/tx`, `GET /app/receipt`, `GET /app/api`, `/node/*`, and the governance API " +
      "`/gov/*` (api-version 2024-07-01: proposals, ballots, members' acknowledgements, service " +
      "state). The sandbox's behaviour for each is in [sandbox.md](sandbox.md); CCF's REST API " +
      "reference is the authority for a real network.",
    "",
  ];
  for (const [module, entries] of modules) lines.push(...moduleSection(module, entries));
  return formatMarkdown(lines.join("\n"));
}

/** The page from the app.json in the repository. */
export async function renderApiReferenceFromRepo(): Promise<string> {
  const app = JSON.parse(readFileSync(repoPath(APP_JSON), "utf8")) as AppJson;
  return renderApiReference(app);
}
