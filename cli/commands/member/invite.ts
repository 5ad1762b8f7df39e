/**
 * `cleanroom member invite` / `cleanroom user invite`: a member proposes an invitation (`invite`)
 * carrying only the hash of a one-time code made here; the code is shown once (or written to a
 * 0600 file) and travels to the invitee out of band.
 */
import { Option, type Command } from "commander";
import type { Proposal } from "../../../client/governance/index.js";
import { GovernanceError } from "../../../client/governance/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import {
  checkProposal,
  codeHash,
  isoSeconds,
  memberProfile,
  newInvitationCode,
  parseDuration,
  proposalLine,
  refusing,
  reserveCodeFile,
} from "../invitation/common.js";

export type Role = "user" | "member";

export interface InviteOptions {
  role?: Role;
  displayName?: string;
  expires?: string;
  codeFile?: string;
}

export interface InviteView {
  invitationId: string;
  role: Role;
  displayName: string;
  expiresAt: number;
  proposalId: string;
  proposalState: Proposal["proposalState"];
  /** The one-time code, when no --code-file was given: shown this once. */
  code?: string;
  /** Where the code was written instead. */
  codeFile?: string;
}

const NAME = /^[A-Za-z0-9_-]{1,60}$/;

/** A free invitation id for `name`: the name itself, else name-2, name-3, … */
async function freeInvitationId(ctx: Context, name: string): Promise<string> {
  const client = ctx.governance();
  try {
    for (let n = 1; n < 100; n++) {
      const candidate = n === 1 ? name : `${name}-${n}`;
      try {
        await refusing(candidate, () => client.app.invitation(candidate));
      } catch (error) {
        if (error instanceof UserError && error.code === "InvitationNotFound") return candidate;
        throw error;
      }
    }
  } finally {
    client.close();
  }
  throw new UserError(
    `there are already 99 invitations named after '${name}'`,
    "pick another name",
    "InvalidName",
  );
}

export async function runInvite(
  ctx: Context,
  name: string,
  options: InviteOptions,
): Promise<InviteView> {
  const role = options.role ?? "member";
  if (!NAME.test(name)) {
    throw new UserError(
      `'${name}' cannot name an invitation`,
      "use 1 to 60 letters, digits, '-' and '_' (e.g. the invitee's organisation: northwind)",
      "InvalidName",
    );
  }
  const displayName = options.displayName ?? name;
  if (displayName.trim().length === 0 || displayName.length > 100) {
    throw new UserError(
      "the display name must have 1 to 100 characters, not only spaces",
      "e.g. --display-name 'Northwind Traders'",
      "InvalidDisplayName",
    );
  }
  const lifetime = parseDuration(options.expires ?? "7d");
  memberProfile(ctx, "invite");
  const invitationId = await freeInvitationId(ctx, name);

  // Reserve the code file first: a code must never be issued that cannot be saved.
  const file = options.codeFile !== undefined ? reserveCodeFile(options.codeFile) : undefined;
  const code = newInvitationCode();
  const expiresAt = Math.floor(Date.now() / 1000) + lifetime;
  const client = ctx.governance();
  let proposal: Proposal;
  try {
    proposal = await refusing(invitationId, () =>
      client.gov.propose([
        {
          name: "invite",
          args: { invitationId, role, displayName, expiresAt, codeHash: codeHash(code) },
        },
      ]),
    );
    checkProposal(proposal, `invite ${name}`);
  } catch (error) {
    file?.discard();
    // A refused proposal names the reason in its detail; the code is in no message.
    if (error instanceof GovernanceError && error.status >= 400 && error.status < 500) {
      throw new UserError(
        `the invitation was refused: ${error.detailMessage.split("\n")[0]}`,
        "check the arguments (`cleanroom member invite --help`) and try again",
        error.code,
      );
    }
    throw error;
  } finally {
    client.close();
  }
  file?.write(code);

  const view: InviteView = {
    invitationId,
    role,
    displayName,
    expiresAt,
    proposalId: proposal.proposalId,
    proposalState: proposal.proposalState,
    ...(file ? { codeFile: file.path } : { code }),
  };
  const { bold, yellow } = ctx.out.style;
  const accept = `cleanroom ${role} accept ${invitationId} ${file ? "--code-file <file>" : "--code <code>"}`;
  const lines = [
    `Invited ${bold(displayName)} as a ${role}: invitation ${bold(invitationId)}, expires ${isoSeconds(expiresAt)}.`,
    proposalLine(proposal),
    file
      ? `The one-time code is in ${file.path} (mode 0600). Send that file to the invitee out of band, then delete it.`
      : `One-time code (shown only now; send it to the invitee out of band):\n\n  ${yellow(code)}\n`,
    `The invitee accepts from its own profile with: ${accept}`,
  ];
  if (role === "member") {
    lines.push(`Then add it as a member with: cleanroom member add ${invitationId}`);
  }
  ctx.out.result(view, lines.join("\n"));
  return view;
}

export function inviteCommand(kind: Role): Command {
  const example = kind === "member" ? "fabrikam" : "northwind";
  const command = defineCommand("invite", {
    summary: `invite a new ${kind} with a one-time code (members)`,
    description:
      `Proposes an invitation for a new ${kind} (governance action \`invite\`). A one-time code is\n` +
      "made here from 256 random bits; only its SHA-256 goes to the consortium, and the code is\n" +
      "printed once (or written, mode 0600, to --code-file) for you to send to the invitee out of\n" +
      "band: anyone holding it can accept the invitation until it expires.\n\n" +
      "The invitation id is <name> (or <name>-2, … when taken). The invitee accepts it from its own\n" +
      `profile with \`cleanroom ${kind} accept <invitationId>\`` +
      (kind === "member"
        ? "; a member then adds it (`cleanroom member add`) and it activates itself (`cleanroom member activate`)."
        : ".") +
      "\nWith several members the proposal waits for their votes.",
    examples: [
      `cleanroom ${kind} invite ${example}`,
      `cleanroom ${kind} invite ${example} --display-name '${kind === "member" ? "Fabrikam" : "Northwind Traders"}' --expires 2d --code-file ${example}.code`,
      `cleanroom ${kind} invite ${example} --profile operator --json`,
    ],
  })
    .argument("<name>", "the invitee, e.g. its organisation: becomes the invitation id")
    .option("--display-name <text>", "how the consortium shows the invitee (default: <name>)")
    .option("--expires <duration>", "how long the code is valid: 30m, 12h, 7d, …", "7d")
    .option(
      "--code-file <file>",
      "write the code to this new file (mode 0600) instead of printing it",
    );
  if (kind === "member") {
    command.addOption(
      new Option("--role <role>", "what the invitee becomes")
        .choices(["user", "member"])
        .default("member"),
    );
  }
  return command.action(async (name: string, options: InviteOptions, cmd: Command) => {
    await runInvite(contextOf(cmd), name, { ...options, role: options.role ?? kind });
  });
}
