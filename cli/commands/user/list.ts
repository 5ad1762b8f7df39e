/** `cleanroom user list`: the users who joined by invitation (members). */
import type { Command } from "commander";
import type { Identity } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { refusing } from "../invitation/common.js";

export type UserRow = Omit<Identity, "certPem">;

export async function runUserList(ctx: Context, options: { all?: boolean }): Promise<UserRow[]> {
  const client = ctx.governance();
  try {
    const rows: UserRow[] = [];
    await refusing("", async () => {
      for await (const identity of client.app.items(client.app.listIdentities())) {
        if (identity.role !== "user" && options.all !== true) continue;
        if (identity.removed && options.all !== true) continue;
        const { certPem: _cert, ...row } = identity;
        rows.push(row);
      }
    });
    ctx.out.table(rows, [
      { header: "identity id", value: (r) => r.identityId },
      { header: "name", value: (r) => r.displayName },
      { header: "role", value: (r) => r.role },
      { header: "invitation", value: (r) => r.invitationId },
      { header: "removed", value: (r) => (r.removed ? "yes" : "") },
    ]);
    return rows;
  } finally {
    client.close();
  }
}

export function userListCommand(): Command {
  return defineCommand("list", {
    summary: "list the users who accepted an invitation (members)",
    description:
      "Lists the identities that joined by accepting a user invitation: id (the certificate's\n" +
      "SHA-256, or the token's issuer and subject), name, and invitation. --all adds removed\n" +
      "identities and those of member invitations.",
    examples: ["cleanroom user list", "cleanroom user list --all --json"],
  })
    .option("--all", "include removed identities and member invitees")
    .action(async (options: { all?: boolean }, command: Command) => {
      await runUserList(contextOf(command), options);
    });
}
