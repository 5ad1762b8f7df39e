// Builds the fixture app the way CCF's TypeScript guide builds an app: tsc emits ES2020 modules,
// rollup resolves npm imports (@microsoft/ccf-app) into the bundle, app.json sits beside src/.
import { copyFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { nodeResolve } from "@rollup/plugin-node-resolve";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const endpoints = readdirSync(here("build/js/endpoints")).filter((f) => f.endsWith(".js"));

export default {
  input: endpoints.map((file) => here(`build/js/endpoints/${file}`)),
  output: {
    dir: here("build/src"),
    format: "es",
    preserveModules: true,
    preserveModulesRoot: here("build/js"),
  },
  plugins: [
    nodeResolve(),
    {
      name: "app-json",
      writeBundle: () => copyFileSync(here("app.json"), here("build/app.json")),
    },
  ],
};
