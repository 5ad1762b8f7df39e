/**
 * `cleanroom user accept` / `cleanroom member accept`: the invitee accepts an invitation from its
 * own profile. The request goes over a TLS connection authenticated by the profile's certificate,
 * which proves it holds the key (docs/governance.md, "Possession of the key"); the key never
 * leaves this machine. The code is sent once, in the request body, and printed nowhere.
 */
import type { Command } from "commander";
import type { InvitationAccepted, Me } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { checkInvitationId, readCodeFile, refusing } from "../invitation/common.js";
import type { Role } from "./invite.js";

export interface AcceptOptions {
  code?: string;
  codeFile?: string;
}

export interface AcceptView extends InvitationAccepted {
  profile: string;
  transactionId: string;
  /** Who the service takes this profile for now (a member invitee stays anonymous until added). */
  me: Me;
  /** What to do next, for a member invitation. */
  next?: string;
}

function codeOf(options: AcceptOptions): string {
  if ((options.code === undefined) === (options.codeFile === undefined)) {
    throw new UserError(
      "give the one-time code with --code or --code-file (one of them)",
      "--code-file keeps the code out of your shell history",
      "UsageError",
    );
  }
  if (options.codeFile !== undefined) return readCodeFile(options.codeFile);
  const code = options.code!.trim();
  if (code.length === 0) {
    throw new UserError("the code is empty", "pass the code you were given", "UsageError");
  }
  return code;
}

export async function runAccept(
  ctx: Context,
  expected: Role,
  invitationId: string,
  options: AcceptOptions,
): Promise<AcceptView> {
  checkInvitationId(invitationId);
  const code = codeOf(options);
  const profile = ctx.profile();
  const client = ctx.governance(profile);
  try {
    const accepted = await refusing(invitationId, () =>
      client.app.acceptInvitation(invitationId, code),
    );
    await client.app.waitForCommit(accepted.transactionId);
    // The profile now is what it accepted to be (a member profile signs /gov requests).
    if (profile.kind !== accepted.role) {
      ctx.store.update(profile.name, (p) => (p.kind = accepted.role));
    }
    const me = await client.app.me();
    const view: AcceptView = {
      profile: profile.name,
      identityId: accepted.identityId,
      role: accepted.role,
      displayName: accepted.displayName,
      invitationId: accepted.invitationId,
      transactionId: accepted.transactionId,
      me,
    };
    const { bold } = ctx.out.style;
    const lines = [
      `Accepted invitation ${bold(invitationId)} as ${bold(accepted.displayName)} (${accepted.role}), with profile ${bold(profile.name)}'s certificate (id ${accepted.identityId.slice(0, 12)}…).`,
    ];
    if (accepted.role !== expected) {
      lines.push(`Note: this was a ${accepted.role} invitation, not a ${expected} one.`);
    }
    if (accepted.role === "member") {
      view.next =
        `a member adds you with \`cleanroom member add ${invitationId}\`; ` +
        `then activate your membership with \`cleanroom member activate --profile ${profile.name}\``;
      lines.push(
        "Next: you become a member in two more steps.",
        `  1. A member of the consortium adds you: cleanroom member add ${invitationId}`,
        `  2. You activate your membership:      cleanroom member activate --profile ${profile.name}`,
      );
    } else if (me.kind === "user") {
      lines.push(
        `The consortium now knows this profile as user ${bold(me.displayName ?? accepted.displayName)}: see \`cleanroom status --profile ${profile.name}\`.`,
      );
    }
    ctx.out.result(view, lines.join("\n"));
    return view;
  } finally {
    client.close();
  }
}

export function acceptCommand(kind: Role): Command {
  const profile = kind === "member" ? "fabrikam" : "northwind";
  return defineCommand("accept", {
    summary: `accept a ${kind} invitation with its one-time code`,
    description:
      `Accepts the ${kind} invitation you were sent, as the current profile: the request is made\n` +
      "with the profile's own certificate over mutual TLS, which proves that you hold its private\n" +
      "key (the key never leaves this machine), together with the one-time code. A code works\n" +
      "once; prefer --code-file, which keeps it out of your shell history. Create the profile\n" +
      `first with \`cleanroom profile create <name> --kind ${kind} --endpoint URL --service-cert FILE\`.` +
      (kind === "member"
        ? "\n\nA member invitation then needs two more steps: a member adds you (`cleanroom member add`)\nand you activate your membership (`cleanroom member activate`)."
        : ""),
    examples: [
      `cleanroom ${kind} accept ${profile} --code-file ${profile}.code --profile ${profile}`,
      `cleanroom ${kind} accept ${profile} --code 3q2-7wEAAQ… --profile ${profile} --json`,
    ],
  })
    .argument("<invitationId>", "the invitation id the member gave you")
    .option("--code <code>", "the one-time code")
    .option("--code-file <file>", "a file holding the one-time code")
    .action(async (invitationId: string, options: AcceptOptions, command: Command) => {
      await runAccept(contextOf(command), kind, invitationId, options);
    });
}
