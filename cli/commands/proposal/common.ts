/**
 * What the `proposal` and `contract` commands share: the member check, names for ids (local
 * profiles), proposal ids by prefix, the actions of a proposal in words, and governance refusals
 * as one line with a hint.
 */
import { existsSync, readFileSync } from "node:fs";
import {
  ballotSource,
  GovernanceError,
  type GovClient,
  type GovernanceAction,
  type Proposal,
  type ProposalState,
} from "../../../client/governance/index.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { Profile } from "../../profile/store.js";

export const PROPOSAL_STATES: readonly ProposalState[] = [
  "Open",
  "Accepted",
  "Withdrawn",
  "Rejected",
  "Failed",
  "Dropped",
];

/** The selected profile, which must be a member's: proposals and ballots are signed by members. */
export function memberProfile(ctx: Context): Profile {
  const profile = ctx.profile();
  if (profile.kind !== "member") {
    throw new UserError(
      `profile '${profile.name}' is ${profile.kind === "user" ? "a user" : "not a member"}: only members propose and vote`,
      "pass --profile with a member's profile (e.g. the operator's)",
      "NotAMember",
    );
  }
  return profile;
}

/** Names people know for ids: the local profiles (the selected one marked "you"). */
export function localNames(ctx: Context): Map<string, string> {
  const names = new Map<string, string>();
  for (const name of ctx.store.names()) {
    try {
      const profile = ctx.store.read(name);
      if (!names.has(profile.id)) names.set(profile.id, profile.name);
    } catch {
      // A damaged profile names nobody.
    }
  }
  return names;
}

/** `name` for an id, else its first 12 hex digits and an ellipsis. */
export function nameOf(names: ReadonlyMap<string, string>, id: string): string {
  return names.get(id) ?? `${id.slice(0, 12)}…`;
}

const FULL_ID = /^[0-9a-f]{64}$/;
const PREFIX = /^[0-9a-f]{4,63}$/;

/** A proposal id, given whole or as a unique prefix (at least 4 hex digits) of a listed one. */
export async function resolveProposalId(gov: GovClient, given: string): Promise<string> {
  const id = given.trim().toLowerCase();
  if (FULL_ID.test(id)) return id;
  if (!PREFIX.test(id)) {
    throw new UserError(
      `'${given}' is not a proposal id (64 hex digits, or a unique prefix of at least 4)`,
      "list them with `cleanroom proposal list`",
      "InvalidProposalId",
    );
  }
  const matches = (await gov.proposals()).filter((p) => p.proposalId.startsWith(id));
  if (matches.length === 1) return matches[0]!.proposalId;
  throw new UserError(
    matches.length === 0
      ? `no proposal id starts with '${id}'`
      : `'${id}' is the start of ${matches.length} proposal ids`,
    matches.length === 0
      ? "list them with `cleanroom proposal list` (CCF keeps the open ones and the last closed one)"
      : "give more digits",
    matches.length === 0 ? "ProposalNotFound" : "AmbiguousProposalId",
  );
}

/** A ballot from --accept, --reject or --ballot <file.js>. */
export function chooseBallot(options: {
  accept?: boolean;
  reject?: boolean;
  ballot?: string;
}): boolean | string {
  const chosen = [options.accept, options.reject, options.ballot !== undefined].filter(Boolean);
  if (chosen.length !== 1) {
    throw new UserError(
      "choose exactly one of --accept, --reject or --ballot <file.js>",
      "--accept votes for, --reject against; --ballot submits your own ballot module",
      "UsageError",
    );
  }
  if (options.accept) return true;
  if (options.reject) return false;
  const file = options.ballot!;
  if (!existsSync(file)) {
    throw new UserError(`${file} not found`, "pass the path of a ballot module", "FileNotFound");
  }
  const source = readFileSync(file, "utf8");
  if (!/\bfunction\s+vote\b|\bvote\s*=|\bvote\s*\(/.test(source)) {
    throw new UserError(
      `${file} does not define a vote function`,
      "a ballot is an ES module: export function vote(proposal, proposerId) { … return true; }",
      "InvalidBallot",
    );
  }
  return source;
}

/** What a ballot's source says, when it is one of the plain for/against ballots. */
export function ballotMeaning(source: string): "for" | "against" | "custom" {
  if (source === ballotSource(true)) return "for";
  if (source === ballotSource(false)) return "against";
  return "custom";
}

// ---- actions in words ---------------------------------------------------------------------------

/** Long strings (certificates, bundles) shortened so an action fits on a line or two. */
function shorten(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    if (value.includes("BEGIN CERTIFICATE")) return "<certificate>";
    return value.length > 80 ? `${value.slice(0, 40)}… (${value.length} chars)` : value;
  }
  if (Array.isArray(value)) {
    if (depth > 2) return `[${value.length} items]`;
    return value.map((v) => shorten(v, depth + 1));
  }
  if (value !== null && typeof value === "object") {
    if (depth > 2) return "{…}";
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, shorten(v, depth + 1)]),
    );
  }
  return value;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One action as a line for people: contracts in words, anything else as shortened JSON. */
export function describeAction(action: GovernanceAction): string {
  const args = action.args ?? {};
  if (action.name === "set_contract") {
    const doc = args["document"] as
      | {
          participants?: { name?: string; kind?: string }[];
          policy?: { measurements?: unknown[]; hostData?: unknown[]; allowVirtual?: boolean };
        }
      | undefined;
    const participants = Array.isArray(doc?.participants) ? doc.participants : [];
    const who = participants.map((p) => `${p.name ?? "?"} (${p.kind ?? "?"})`).join(", ");
    const measurements = Array.isArray(doc?.policy?.measurements)
      ? doc.policy.measurements.length
      : 0;
    return (
      `set_contract ${String(args["contractId"])} version ${String(args["version"])}: ` +
      `participants ${who || "none"}; ${plural(measurements, "measurement")}` +
      `${doc?.policy?.hostData ? `, ${plural(doc.policy.hostData.length, "host data value")}` : ""}` +
      `; virtual attestation ${doc?.policy?.allowVirtual ? "allowed" : "not allowed"}`
    );
  }
  if (action.name === "set_contract_switch") {
    const switches = ["execution", "logging", "telemetry"]
      .filter((s) => typeof args[s] === "boolean")
      .map((s) => `${s} ${args[s] ? "on" : "off"}`);
    return `set_contract_switch ${String(args["contractId"])}: ${switches.join(", ")}`;
  }
  const text = JSON.stringify(shorten(args));
  return text === "{}" ? action.name : `${action.name} ${text}`;
}

/** One line for people: a proposal's id, state and votes. */
export function proposalLine(proposal: Proposal, names: ReadonlyMap<string, string>): string {
  let line = `Proposal ${proposal.proposalId}: ${proposal.proposalState} (${plural(proposal.ballotCount, "ballot")}`;
  const votes = Object.entries(proposal.finalVotes ?? {});
  if (votes.length > 0) {
    line += `; ${votes.map(([id, vote]) => `${nameOf(names, id)} ${vote ? "for" : "against"}`).join(", ")}`;
  }
  line += ")";
  if (proposal.failure) line += ` — ${proposal.failure.reason}`;
  return line;
}

// ---- refusals -----------------------------------------------------------------------------------

const REFUSALS: Readonly<Record<string, string>> = {
  ProposalNotFound:
    "CCF keeps only the open proposals and the last closed one: see `cleanroom proposal list`",
  ProposalNotOpen: "only an Open proposal takes ballots or can be withdrawn",
  VoteAlreadyExists: "a member votes once per proposal",
  ProposalFailedToValidate: "fix what it names and propose again",
  InvalidContract: "fix the field it names in the document",
  InvalidContractId: "use 1 to 64 letters, digits, '.', '_' or '-'",
  ContractNotFound: "list contracts with `cleanroom contract list`",
  NotAParticipant: "only members and the contract's participants may read it",
  VersionRequired:
    "someone saved a draft in the meantime: look at it with `cleanroom contract show` and retry",
  PreconditionFailed:
    "the draft changed since that version: look at it with `cleanroom contract show`, then retry (without --draft-version to replace the current draft)",
};

/**
 * A governance refusal (4xx) as a one-line UserError with a hint; other errors unchanged (the
 * CLI's main turns transport failures into their own lines).
 */
export function refusal(error: unknown, hints: Readonly<Record<string, string>> = {}): unknown {
  if (!(error instanceof GovernanceError) || error.status < 400 || error.status >= 500) {
    return error;
  }
  const hint = hints[error.code] ?? REFUSALS[error.code];
  if (hint === undefined) return error;
  const line = error.detailMessage
    .replace(/^Proposal failed to validate:\s*/, "")
    .split("\n")
    .join(" ");
  return new UserError(`${error.code}: ${line}`, hint, error.code);
}
