/** `cleanroom member list`: the consortium's members, their status, and names where invited. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { refusing } from "../invitation/common.js";

export interface MemberRow {
  memberId: string;
  status: "Accepted" | "Active";
  /** The display name of its invitation, if it was invited (and the caller may read it). */
  displayName: string | null;
  you: boolean;
}

export async function runMemberList(ctx: Context): Promise<MemberRow[]> {
  const profile = ctx.profile();
  const client = ctx.governance(profile);
  try {
    const members = await refusing("", () => client.gov.members());
    const names = new Map<string, string>();
    try {
      for await (const identity of client.app.items(client.app.listIdentities())) {
        names.set(identity.identityId, identity.displayName);
      }
    } catch {
      // Only members read identities; others see the members without names.
    }
    const rows: MemberRow[] = members.map((m) => ({
      memberId: m.memberId,
      status: m.status,
      displayName: names.get(m.memberId) ?? null,
      you: m.memberId === profile.id,
    }));
    const { green, yellow } = ctx.out.style;
    ctx.out.table(rows, [
      { header: "member id", value: (r) => r.memberId },
      {
        header: "status",
        value: (r) => (r.status === "Active" ? green(r.status) : yellow(r.status)),
      },
      { header: "name", value: (r) => r.displayName ?? "-" },
      { header: "you", value: (r) => (r.you ? "yes" : "") },
    ]);
    return rows;
  } finally {
    client.close();
  }
}

export function memberListCommand(): Command {
  return defineCommand("list", {
    summary: "list the consortium's members and their status",
    description:
      "Lists the consortium's members (/gov/service/members): each one's id, whether it is\n" +
      "Accepted (added, not yet activated) or Active, and, for members who came by invitation,\n" +
      "the name they were invited under.",
    examples: ["cleanroom member list", "cleanroom member list --profile operator --json"],
  }).action(async (_options: unknown, command: Command) => {
    await runMemberList(contextOf(command));
  });
}
