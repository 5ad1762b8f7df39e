/** `cleanroom member keygen` / `cleanroom user keygen`: a new persona's key, in a new profile. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { IdentityKind } from "../../profile/store.js";
import { runCreateProfile } from "../profile/create.js";

export function keygenCommand(kind: IdentityKind): Command {
  return defineCommand("keygen", {
    summary: `make a ${kind}'s key and certificate (in a new profile)`,
    description:
      `Generates an EC P-384 private key and a self-signed certificate for a future ${kind}, in a\n` +
      `new profile of that name (the same as \`cleanroom profile create <name> --kind ${kind}\`).\n` +
      "The private key stays in the profile (mode 0600); the certificate is what the consortium\n" +
      "registers when the invitation is accepted.",
    examples: [
      `cleanroom ${kind} keygen ${kind === "member" ? "fabrikam" : "northwind"}`,
      `cleanroom ${kind} keygen ${kind === "member" ? "fabrikam" : "northwind"} --json`,
    ],
  })
    .argument("<name>", "name of the new profile")
    .option("--endpoint <url>", "the consortium's governance service")
    .option("--service-cert <file>", "the consortium's service certificate (PEM) to pin")
    .action(
      async (
        name: string,
        options: { endpoint?: string; serviceCert?: string },
        command: Command,
      ) => {
        await runCreateProfile(contextOf(command), name, { ...options, kind });
      },
    );
}
