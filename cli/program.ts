/** The `cleanroom` command tree: one folder per noun in cli/commands, one file per verb. */
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { auditCommand } from "./commands/audit/index.js";
import { consentCommand } from "./commands/consent/index.js";
import { consortiumCommand } from "./commands/consortium/index.js";
import { contractCommand } from "./commands/contract/index.js";
import { datasetCommand } from "./commands/dataset/index.js";
import { keyCommand } from "./commands/key/index.js";
import { invitationCommand } from "./commands/invitation/index.js";
import { memberCommand } from "./commands/member/index.js";
import { profileCommand } from "./commands/profile/index.js";
import { proposalCommand } from "./commands/proposal/index.js";
import { queryCommand } from "./commands/query/index.js";
import { runCommand } from "./commands/run/index.js";
import { runtimeCommand } from "./commands/runtime/index.js";
import { sandboxCommand } from "./commands/sandbox/index.js";
import { statusCommand } from "./commands/status/index.js";
import { userCommand } from "./commands/user/index.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export function createProgram(): Command {
  return (
    new Command("cleanroom")
      .description(
        "Confidential data clean rooms governed by a CCF consortium.\n\n" +
          "Every command acts as a persona profile (--profile, CLEANROOM_PROFILE, or\n" +
          "`cleanroom profile use`) and prints JSON with --json.",
      )
      .version(pkg.version)
      // Program options only before the command: `--version` after a subcommand is that
      // command's business (an error if it has none), never a silent print of our version.
      .enablePositionalOptions()
      .showHelpAfterError("(run with --help for usage)")
      .addCommand(profileCommand())
      .addCommand(consortiumCommand())
      .addCommand(statusCommand())
      .addCommand(memberCommand())
      .addCommand(userCommand())
      .addCommand(invitationCommand())
      .addCommand(proposalCommand())
      .addCommand(contractCommand())
      .addCommand(sandboxCommand())
      .addCommand(datasetCommand())
      .addCommand(keyCommand())
      .addCommand(queryCommand())
      .addCommand(consentCommand())
      .addCommand(runCommand())
      .addCommand(runtimeCommand())
      .addCommand(auditCommand())
      .addHelpText(
        "after",
        `
Examples:
  $ cleanroom consortium create --port 0
  $ cleanroom profile create northwind --kind user
  $ cleanroom status --profile northwind`,
      )
  );
}
