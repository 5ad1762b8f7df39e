/** The `cleanroom` command tree. */
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { sandboxCommand } from "./commands/sandbox/index.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export function createProgram(): Command {
  return new Command("cleanroom")
    .description("Confidential data clean rooms governed by a CCF consortium.")
    .version(pkg.version)
    .showHelpAfterError("(run with --help for usage)")
    .addCommand(sandboxCommand());
}
