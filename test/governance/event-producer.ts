/**
 * Test and benchmark only: the governance bundle plus one endpoint, `POST /app/test/events`
 * (members), that appends events through the app's own `recordEvent` — so suites and the
 * benchmark can grow a contract's trail to any length without another resource's endpoints.
 * The production bundle is untouched; this writes an extended copy of it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Bundle {
  metadata: { endpoints: Record<string, Record<string, unknown>> };
  modules: { name: string; module: string }[];
}

/** The governance build in use (GOVERNANCE_BUILD, or governance/build). */
export function governanceBuildDir(): string {
  return (
    process.env["GOVERNANCE_BUILD"] ??
    new URL("../../../governance/build", import.meta.url).pathname
  );
}

/** The constitution additions of that build (the sandbox needs them with a bundle of its own). */
export function governanceConstitution(buildDir = governanceBuildDir()): string {
  return join(buildDir, "constitution_additions.js");
}

export interface ProducerOptions {
  buildDir?: string;
}

/**
 * Writes the extended bundle to a new temporary directory and returns its path. The endpoint
 * takes `{contractId, scope, count, type?}` and appends `count` events in one transaction
 * (details `{i}`), answering `{first, count}` (the position of the first).
 */
export function bundleWithEventProducer(options: ProducerOptions = {}): string {
  const buildDir = options.buildDir ?? governanceBuildDir();
  const bundle = JSON.parse(readFileSync(join(buildDir, "bundle.json"), "utf8")) as Bundle;
  // Rollup renames exports in shared chunks: find the chunk that exports recordEvent, and its alias.
  let source: { name: string; alias: string } | undefined;
  for (const { name, module } of bundle.modules) {
    const exported = /export\s*\{([^}]*)\}/.exec(module)?.[1] ?? "";
    const alias = /\brecordEvent(?:\s+as\s+(\w+))?\s*(?:,|$)/.exec(exported.trim());
    if (alias) source = { name, alias: alias[1] ?? "recordEvent" };
  }
  if (!source) throw new Error("No module of the bundle exports recordEvent");
  bundle.modules.push({
    name: "endpoints/test_events.js",
    module: `import { ${source.alias} as recordEvent } from "../${source.name}";
export function append(request) {
  const { contractId, scope, count, type } = request.body.json();
  let first = -1;
  for (let i = 0; i < count; i++) {
    const position = recordEvent(contractId, scope, { type: type ?? "test.event", actor: "test", details: { i } });
    if (first < 0) first = position;
  }
  return { body: { first, count } };
}
`,
  });
  bundle.metadata.endpoints["/test/events"] = {
    post: {
      js_module: "endpoints/test_events.js",
      js_function: "append",
      authn_policies: ["member_cert"],
      mode: "readwrite",
      forwarding_required: "always",
      interpreter_reuse: { key: "test-events" },
      openapi: { summary: "Test only: appends events", "x-principals": ["member"] },
    },
  };
  const dir = mkdtempSync(join(tmpdir(), "governance-events-"));
  const path = join(dir, "bundle.json");
  writeFileSync(path, JSON.stringify(bundle));
  return path;
}
