/** `cleanroom profile delete`: remove a persona and its private key. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { isSandbox } from "../consortium/process.js";

export function runDeleteProfile(
  ctx: Context,
  name: string,
  options: { yes?: boolean },
): { deleted: string } {
  const profile = ctx.store.read(name);
  const pid = profile.consortium?.pid;
  if (pid !== undefined && isSandbox(pid)) {
    throw new UserError(
      `profile '${name}' runs a sandbox (pid ${pid})`,
      `stop it first: \`cleanroom consortium stop --profile ${name}\``,
      "ConsortiumRunning",
    );
  }
  if (!options.yes) {
    throw new UserError(
      `deleting profile '${name}' destroys its private key for good`,
      `run again with --yes: \`cleanroom profile delete ${name} --yes\``,
      "ConfirmationRequired",
    );
  }
  ctx.store.delete(name);
  ctx.out.result({ deleted: name }, `Deleted profile ${name}.`);
  return { deleted: name };
}

export function profileDeleteCommand(): Command {
  return defineCommand("delete", {
    summary: "delete a profile and its private key",
    description:
      "Deletes a profile's folder: its private key, certificate and pinned service certificate.\n" +
      "The key cannot be recovered, so the identity it proves is lost: pass --yes to confirm.\n" +
      "A profile that runs a sandbox must stop it first.",
    examples: ["cleanroom profile delete old-test --yes"],
  })
    .argument("<name>", "profile name")
    .option("--yes", "confirm the deletion", false)
    .action((name: string, options: { yes?: boolean }, command: Command) => {
      runDeleteProfile(contextOf(command), name, options);
    });
}
