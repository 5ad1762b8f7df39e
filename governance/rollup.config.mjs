// Builds the governance app as a CCF app bundle: tsc emits ES2020 modules (governance/src and the
// shared contracts/src), rollup resolves imports into one module per endpoint file plus shared
// chunks, and the route files are merged into app.json. Writes build/app.json, build/src/**,
// build/bundle.json (what set_js_app takes) and build/constitution.js (the full constitution for
// set_constitution: the sandbox's default parts followed by our actions, in file order).
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeResolve } from "@rollup/plugin-node-resolve";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
// GOVERNANCE_BUILD lets several builds coexist (tsc must emit to $GOVERNANCE_BUILD/js).
const buildDir = process.env.GOVERNANCE_BUILD ?? here("build");
const out = (path) => join(buildDir, path);
const endpointsDir = out("js/governance/src/endpoints");
const endpoints = readdirSync(endpointsDir).filter((f) => f.endsWith(".js"));

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function mergedRoutes() {
  const endpoints = {};
  for (const file of readdirSync(here("routes")).sort()) {
    const routes = JSON.parse(readFileSync(here(`routes/${file}`), "utf8"));
    for (const [path, methods] of Object.entries(routes)) {
      for (const method of Object.keys(methods)) {
        if (endpoints[path]?.[method]) throw new Error(`${method} ${path} is defined twice`);
      }
      endpoints[path] = { ...endpoints[path], ...methods };
    }
  }
  return { endpoints };
}

const SANDBOX_PARTS = ["actions.js", "validate.js", "resolve.js", "apply.js"];

function constitutionFiles(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".js"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

export default {
  input: Object.fromEntries(endpoints.map((f) => [f.slice(0, -3), join(endpointsDir, f)])),
  output: {
    dir: out("src"),
    format: "es",
    entryFileNames: "endpoints/[name].js",
    chunkFileNames: "lib/[name].js",
  },
  plugins: [
    nodeResolve(),
    {
      name: "ccf-bundle",
      writeBundle() {
        const metadata = mergedRoutes();
        writeFileSync(out("app.json"), JSON.stringify(metadata, null, 2) + "\n");
        const srcDir = out("src");
        const modules = listFiles(srcDir)
          .sort()
          .map((path) => ({
            name: relative(srcDir, path).split("\\").join("/"),
            module: readFileSync(path, "utf8"),
          }));
        writeFileSync(out("bundle.json"), JSON.stringify({ metadata, modules }));
        const additions = constitutionFiles(here("constitution"));
        writeFileSync(out("constitution_additions.js"), additions.join("\n"));
        const sandboxParts = SANDBOX_PARTS.map((p) =>
          readFileSync(here(`../sandbox/gov/constitution/${p}`), "utf8"),
        );
        writeFileSync(out("constitution.js"), [...sandboxParts, ...additions].join("\n"));
      },
    },
  ],
};
