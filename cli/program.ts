/** The `cleanroom` command tree: one folder per noun in cli/commands, one file per verb. */
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { consortiumCommand } from "./commands/consortium/index.js";
import { memberCommand } from "./commands/member/index.js";
import { profileCommand } from "./commands/profile/index.js";
import { sandboxCommand } from "./commands/sandbox/index.js";
import { statusCommand } from "./commands/status/index.js";
import { userCommand } from "./commands/user/index.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export function createProgram(): Command {
  return new Command("cleanroom")
    .description(
      "Confidential data clean rooms governed by a CCF consortium.\n\n" +
        "Every command acts as a persona profile (--profile, CLEANROOM_PROFILE, or\n" +
        "`cleanroom profile use`) and prints JSON with --json.",
    )
    .version(pkg.version)
    .showHelpAfterError("(run with --help for usage)")
    .addCommand(profileCommand())
    .addCommand(consortiumCommand())
    .addCommand(statusCommand())
    .addCommand(memberCommand())
    .addCommand(userCommand())
    .addCommand(sandboxCommand())
    .addHelpText(
      "after",
      `
Examples:
  $ cleanroom consortium create --port 0
  $ cleanroom profile create northwind --kind user
  $ cleanroom status --profile northwind`,
    );
}
