/**
 * The sandbox's default constitution: our own actions, validate, resolve and apply, concatenated
 * into one module as CCF stores a constitution (ccf-runtime.md §4.4).
 *
 * Additions (`SandboxOptions.constitution`) are appended after the four parts, in order, so a
 * deployed bundle can bring its own governance actions: an addition runs at module evaluation,
 * after `actions.js`, and registers actions in the shared `actions` Map, e.g.
 *
 *     actions.set("set_contract", {
 *       validate(args) { if (typeof args.id !== "string") throw new Error("id must be a string"); },
 *       apply(args, proposalId) { ccf.kv["public:contracts"].set(ccf.strToBuf(args.id), …); },
 *     });
 *
 * An addition sees the helpers of `actions.js` (`checkType`, `checkOptional`, `getJson`,
 * `setJson`, `fail`, …) and the `ccf` globals of the phase it runs in. It must not export
 * `validate`, `resolve` or `apply` again (a module cannot export a name twice).
 */
import { readFileSync } from "node:fs";

const PARTS = ["actions.js", "validate.js", "resolve.js", "apply.js"];
const DIR = new URL("../../../sandbox/gov/constitution/", import.meta.url);

export function defaultConstitution(additions: readonly string[] = []): string {
  const parts = PARTS.map((part) => readFileSync(new URL(part, DIR), "utf8"));
  return [...parts, ...additions].join("\n");
}
