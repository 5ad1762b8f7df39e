/**
 * `cleanroom member activate`: an Accepted member acknowledges the service's state digest (signed
 * update, then ack) and becomes Active, as every CCF member does.
 */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { refusing } from "../invitation/common.js";

export interface ActivateView {
  profile: string;
  memberId: string;
  status: "Accepted" | "Active";
  /** The digest acked; absent when it was Active already. */
  stateDigest?: string;
  alreadyActive: boolean;
}

export async function runActivate(ctx: Context): Promise<ActivateView> {
  const profile = ctx.profile();
  if (profile.kind !== "member") {
    throw new UserError(
      `profile '${profile.name}' is not a member's`,
      "activate the profile that accepted the member invitation (`cleanroom member accept`)",
      "NotAMember",
    );
  }
  const client = ctx.governance(profile);
  try {
    const statusOf = async () =>
      (await client.gov.members()).find((m) => m.memberId === profile.id)?.status;
    const before = await statusOf();
    if (before === undefined) {
      throw new UserError(
        `profile '${profile.name}' is not a member of the consortium yet`,
        "after you accepted, a member adds you (`cleanroom member add <invitationId>`); then run this again",
        "NotAMember",
      );
    }
    const { bold } = ctx.out.style;
    if (before === "Active") {
      const view: ActivateView = {
        profile: profile.name,
        memberId: profile.id,
        status: "Active",
        alreadyActive: true,
      };
      ctx.out.result(view, `${bold(profile.name)} is already an Active member.`);
      return view;
    }
    const acked = await refusing("", () => client.gov.ack());
    const after = (await statusOf()) ?? before;
    const view: ActivateView = {
      profile: profile.name,
      memberId: profile.id,
      status: after,
      stateDigest: acked.stateDigest,
      alreadyActive: false,
    };
    ctx.out.result(
      view,
      `${bold(profile.name)} acknowledged state digest ${acked.stateDigest.slice(0, 16)}… and is now an ${after} member (id ${profile.id.slice(0, 12)}…).`,
    );
    return view;
  } finally {
    client.close();
  }
}

export function memberActivateCommand(): Command {
  return defineCommand("activate", {
    summary: "activate your membership (after `member add`)",
    description:
      "As a new member (Accepted after `cleanroom member add`), acknowledges the consortium's\n" +
      "current state digest, signed with your key, and becomes Active: only Active members\n" +
      "propose and vote. Running it again when Active changes nothing.",
    examples: ["cleanroom member activate --profile fabrikam", "cleanroom member activate --json"],
  }).action(async (_options: unknown, command: Command) => {
    await runActivate(contextOf(command));
  });
}
