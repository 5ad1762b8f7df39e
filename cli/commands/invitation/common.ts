/**
 * What the invitation commands (`member|user invite|accept`, `member add|activate`,
 * `invitation show|list|revoke`) share: the one-time code, durations, the checks on the acting
 * profile, and governance refusals turned into one line and a hint (docs/governance.md,
 * "Invitations and identities: actions and API").
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import {
  GovernanceError,
  type GovernanceClient,
  type Invitation,
  type Proposal,
} from "../../../client/governance/index.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { Profile } from "../../profile/store.js";

/** Bytes of randomness in a one-time code: 256 bits, far above the 128 an offline guess needs. */
export const CODE_BYTES = 32;

/** A new one-time code: URL-safe base64 of 32 random bytes (43 characters). */
export function newInvitationCode(): string {
  return randomBytes(CODE_BYTES).toString("base64url");
}

/** What governance stores of a code: lower-hex SHA-256 of its UTF-8 bytes. */
export function codeHash(code: string): string {
  return createHash("sha256").update(code, "utf8").digest("hex");
}

export const INVITATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function checkInvitationId(id: string): string {
  if (!INVITATION_ID.test(id)) {
    throw new UserError(
      `'${id}' is not an invitation id`,
      "invitation ids are 1 to 64 letters, digits, '-' and '_' (as `invite` printed it)",
      "InvalidInvitationId",
    );
  }
  return id;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const MAX_SECONDS = 365 * 86400;

/** `7d`, `12h`, `30m`, `90s` → seconds (1 s to 365 days). */
export function parseDuration(text: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : NaN;
  if (!match || seconds < 1 || seconds > MAX_SECONDS) {
    throw new UserError(
      `'${text}' is not a duration`,
      "give a number and a unit, s, m, h or d, up to 365d: e.g. --expires 7d or --expires 12h",
      "InvalidDuration",
    );
  }
  return seconds;
}

/** The profile, which must be a member's: signing proposals needs a member's key. */
export function memberProfile(ctx: Context, what: string): Profile {
  const profile = ctx.profile();
  if (profile.kind !== "member") {
    throw new UserError(
      `profile '${profile.name}' is not a member's, and only members can ${what}`,
      "run it as a member's profile (--profile <member>), e.g. the operator's",
      "NotAMember",
    );
  }
  return profile;
}

const NOT_A_MEMBER_HINT =
  "only active members can do this: use a member's profile (--profile), or activate it first (`cleanroom member activate`)";

/** Hints for the refusals invitation commands meet, by governance error code. */
const REFUSALS: Readonly<Record<string, (id: string) => [string, string]>> = {
  InvitationNotFound: (id) => [
    `there is no invitation ${id}`,
    "check the id you were given; an invitation exists once its proposal is accepted (members: `cleanroom invitation list`)",
  ],
  InvitationExpired: (id) => [
    `invitation ${id} has expired`,
    "ask a member for a new invitation (`cleanroom user invite <name>`)",
  ],
  InvitationAlreadyUsed: (id) => [
    `invitation ${id} has already been used`,
    "a code works once: if it was not you who used it, tell the member who invited you, and ask for a new invitation",
  ],
  InvalidInvitationCode: (id) => [
    `that is not the code of invitation ${id}`,
    "check the code you were given (all of it), or pass the file it came in with --code-file",
  ],
  InvitationRevoked: (id) => [`invitation ${id} was revoked`, "ask a member for a new invitation"],
  IdentityAlreadyRegistered: () => [
    "this profile's certificate is already registered with the consortium",
    "see what it is with `cleanroom status`; to accept another invitation, use a new profile (`cleanroom profile create`)",
  ],
  IdentityRemoved: () => [
    "this profile's certificate was removed from the consortium",
    "accept a new invitation from a new profile (`cleanroom profile create`)",
  ],
  MemberRequired: () => [
    "this profile is not an active member of the consortium",
    NOT_A_MEMBER_HINT,
  ],
  IdentityNotFound: (id) => [
    `there is no identity ${id}`,
    "the invitee must accept the invitation first",
  ],
};

/**
 * Rethrows a governance refusal the user can act on as a UserError (one line and a hint);
 * anything else (transport failures, 5xx) as it is, for main's generic handling.
 */
export function refusal(error: unknown, id = ""): never {
  if (error instanceof GovernanceError) {
    const known = REFUSALS[error.code];
    if (known) {
      const [message, hint] = known(id);
      throw new UserError(message, hint, error.code);
    }
    // /gov answers 401/403 to a certificate that is not an active member's.
    if (error.url?.includes("/gov/") && (error.status === 401 || error.status === 403)) {
      throw new UserError(
        "this profile is not an active member of the consortium",
        NOT_A_MEMBER_HINT,
        "NotAMember",
      );
    }
  }
  throw error;
}

/** Runs `work` and turns refusals into UserErrors (see `refusal`). */
export async function refusing<T>(id: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    return refusal(error, id);
  }
}

/** A proposal that did not pass and will not: one line with CCF's reason. */
export function checkProposal(proposal: Proposal, what: string): void {
  if (proposal.proposalState === "Open" || proposal.proposalState === "Accepted") return;
  const reason = proposal.failure?.reason ?? Object.values(proposal.voteFailures ?? {})[0]?.reason;
  throw new UserError(
    `the proposal to ${what} was ${proposal.proposalState}${reason ? `: ${reason.split("\n")[0]}` : ""}`,
    "check the arguments with `cleanroom invitation list`, then try again",
    `Proposal${proposal.proposalState}`,
  );
}

/** What to say about a proposal's state, for people. */
export function proposalLine(proposal: Proposal): string {
  return proposal.proposalState === "Accepted"
    ? `Proposal ${proposal.proposalId} was accepted.`
    : `Proposal ${proposal.proposalId} is ${proposal.proposalState}: other members must vote for it (\`cleanroom proposal vote ${proposal.proposalId}\`).`;
}

/** Reads a one-time code from a file (the whole file, surrounding white space removed). */
export function readCodeFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError(
      `cannot read the code file ${path} (${(error as { code?: string }).code ?? "error"})`,
      "pass the file the inviting member sent you, or the code itself with --code",
      "InvalidCodeFile",
    );
  }
  const code = text.trim();
  if (code.length === 0) {
    throw new UserError(
      `the code file ${path} is empty`,
      "pass the file the inviting member sent you",
      "InvalidCodeFile",
    );
  }
  return code;
}

/**
 * A file made now, empty, mode 0600, that must not exist yet: made before the proposal so that a
 * code is never issued that cannot be saved. `write` fills it, `discard` removes it.
 */
export function reserveCodeFile(path: string): {
  path: string;
  write(code: string): void;
  discard(): void;
} {
  const absolute = resolve(path);
  let fd: number;
  try {
    fd = openSync(absolute, "wx", 0o600);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "error";
    throw new UserError(
      code === "EEXIST"
        ? `the code file ${absolute} already exists`
        : `cannot create the code file ${absolute} (${code})`,
      code === "EEXIST"
        ? "choose a new path: a code file is never overwritten"
        : "choose a path in a folder you can write to",
      "InvalidCodeFile",
    );
  }
  return {
    path: absolute,
    write(code) {
      try {
        writeSync(fd, `${code}\n`);
      } finally {
        closeSync(fd);
      }
    },
    discard() {
      closeSync(fd);
      rmSync(absolute, { force: true });
    },
  };
}

/** Every invitation (members). */
export async function allInvitations(client: GovernanceClient): Promise<Invitation[]> {
  const all: Invitation[] = [];
  for await (const item of client.app.items(client.app.listInvitations())) all.push(item);
  return all;
}

export const isoSeconds = (seconds: number): string =>
  new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");
