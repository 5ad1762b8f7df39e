/**
 * The proposal pipeline as CCF runs it (ccf-runtime.md §4.2–4.3, gov `proposals.h`): create
 * (validate → store → replay check → resolve), ballots (store → resolve), withdrawal, and the
 * resolution itself (every ballot re-run, then `resolve`, then `apply` once Accepted).
 *
 * Everything happens in the request's transaction; the API commits it only on a 2xx, so a
 * proposal whose `resolve` or `apply` fails (state Failed) leaves nothing behind: the handler
 * answers 500 and the transaction, creation or ballot included, is discarded.
 */
import { createHash } from "node:crypto";
import { SINGLETON_KEY, Tables } from "../enclave/tables.js";
import { errorResponse, jsonResponse, type HttpResponse } from "../http/messages.js";
import type { Transaction } from "../kv/tx.js";
import type { MemberCoseIdentity } from "./cose-auth.js";
import type { ConstitutionRunner, Failure } from "./governance.js";
import { GovTables } from "./kv.js";

export type ProposalState = "Open" | "Accepted" | "Withdrawn" | "Rejected" | "Failed" | "Dropped";

/** CCF's `ProposalInfo`, as stored (JSON) in `public:ccf.gov.proposals_info`. */
export interface ProposalInfo {
  proposer_id: string;
  state: ProposalState;
  /** Ballot source by member id. */
  ballots: Record<string, string>;
  final_votes?: Record<string, boolean>;
  vote_failures?: Record<string, Failure>;
  failure?: Failure;
}

/** The API's `Proposal` (gov.json 2024-07-01). */
export interface ProposalView {
  proposalId: string;
  proposerId: string;
  proposalState: ProposalState;
  ballotCount: number;
  finalVotes?: Record<string, boolean>;
  voteFailures?: Record<string, Failure>;
  failure?: Failure;
}

/** `recent_cose_proposals_window_size` when the service configuration does not set one. */
export const DEFAULT_RECENT_PROPOSALS_WINDOW = 100;
const MAX_CREATED_AT = 9_999_999_999;
const HEX_ID = /^[0-9a-fA-F]{64}$/;

export function proposalView(proposalId: string, info: ProposalInfo): ProposalView {
  const view: ProposalView = {
    proposalId,
    proposerId: info.proposer_id,
    proposalState: info.state,
    ballotCount: Object.keys(info.ballots).length,
  };
  if (info.final_votes) view.finalVotes = info.final_votes;
  if (info.vote_failures) view.voteFailures = info.vote_failures;
  if (info.failure) view.failure = info.failure;
  return view;
}

export function isHexId(text: string): boolean {
  return HEX_ID.test(text);
}

const badId = (what: string, text: string): HttpResponse =>
  errorResponse(400, "InvalidResourceName", `'${text}' is not a valid hex-encoded ${what} ID`);

const notFound = (proposalId: string): HttpResponse =>
  errorResponse(404, "ProposalNotFound", `Could not find proposal ${proposalId}.`);

/** The URL's proposal id, checked as CCF does: 64 hex characters, equal to the signed header. */
function signedProposalId(
  urlId: string,
  identity: MemberCoseIdentity,
): { ok: true } | { ok: false; response: HttpResponse } {
  if (!isHexId(urlId)) return { ok: false, response: badId("proposal", urlId) };
  if (identity.proposalId !== urlId) {
    return {
      ok: false,
      response: errorResponse(
        400,
        "InvalidResourceName",
        "Authenticated proposal id does not match URL",
      ),
    };
  }
  return { ok: true };
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function formatFailure(failure: Failure | undefined): string {
  return failure?.reason ?? "Proposal failed";
}

export class Proposals {
  private readonly gov: GovTables;

  constructor(
    private readonly tx: Transaction,
    private readonly runner: ConstitutionRunner,
    /** The Merkle root at the transaction's read version. */
    private readonly merkleRoot: () => Uint8Array,
  ) {
    this.gov = new GovTables(tx);
  }

  private info(proposalId: string): ProposalInfo | undefined {
    return this.gov.json<ProposalInfo>(Tables.proposalsInfo, proposalId);
  }

  private constitution(): string | undefined {
    const text = this.gov.singleton<unknown>(Tables.constitution, SINGLETON_KEY);
    return typeof text === "string" ? text : undefined;
  }

  /** `public:ccf.gov.cose_history`: the latest signed request of each member. */
  private recordHistory(identity: MemberCoseIdentity): void {
    this.gov.setJson(
      Tables.coseHistory,
      identity.memberId,
      Buffer.from(identity.envelope).toString("base64"),
    );
  }

  // ---- create ---------------------------------------------------------------------------

  create(identity: MemberCoseIdentity): HttpResponse {
    // The id binds the proposal to the state it was made against: it cannot be predicted.
    const requestDigest = sha256(identity.signature);
    const proposalId = sha256(this.merkleRoot(), requestDigest).toString("hex");

    const constitution = this.constitution();
    if (constitution === undefined) {
      return errorResponse(
        500,
        "InternalError",
        "No constitution is set - proposals cannot be evaluated",
      );
    }
    const proposal = Buffer.from(identity.payload).toString("utf8");
    const validation = this.runner.validate(this.tx, constitution, proposal);
    if (!validation.ok) {
      const { reason, trace } = validation.failure;
      return errorResponse(
        500,
        "InternalError",
        `Failed to execute validation: ${reason} ${trace ?? ""}`.trimEnd(),
      );
    }
    const verdict = validation.value;
    if (verdict === null || typeof verdict !== "object" || Array.isArray(verdict)) {
      return errorResponse(500, "InternalError", "Validation failed to return an object");
    }
    const { valid, description } = verdict as { valid?: unknown; description?: unknown };
    if (valid !== true) {
      const text = typeof description === "string" ? description : "";
      return errorResponse(400, "ProposalFailedToValidate", `Proposal failed to validate: ${text}`);
    }

    if (this.gov.raw(Tables.proposals, proposalId) !== undefined) {
      return errorResponse(500, "InternalError", "Proposal ID collision.");
    }
    this.gov.setRaw(Tables.proposals, proposalId, identity.payload);
    const info: ProposalInfo = { proposer_id: identity.memberId, state: "Open", ballots: {} };
    this.gov.setJson(Tables.proposalsInfo, proposalId, info);
    this.recordHistory(identity);

    if (identity.createdAt > MAX_CREATED_AT) {
      return errorResponse(
        400,
        "InvalidCreatedAt",
        "Header parameter created_at value is too large",
      );
    }
    const replay = this.checkReplay(identity.createdAt, requestDigest, proposalId);
    if (replay) return replay;

    if (this.resolve(proposalId, proposal, info, constitution) === "Failed") {
      return errorResponse(500, "InternalError", formatFailure(info.failure));
    }
    return jsonResponse(200, proposalView(proposalId, info));
  }

  /**
   * Replay protection (§4.2): the key `created_at (10 digits):hex(SHA-256(signature))` must be
   * new in `cose_recent_proposals` and not older than the median of the keys kept there; the
   * table keeps the newest `recent_cose_proposals_window_size` keys.
   */
  private checkReplay(
    createdAt: number,
    requestDigest: Buffer,
    proposalId: string,
  ): HttpResponse | undefined {
    const createdAtText = String(createdAt).padStart(10, "0");
    const key = `${createdAtText}:${requestDigest.toString("hex")}`;
    const colliding = this.gov.json<string>(Tables.coseRecentProposals, key);
    if (colliding !== undefined) {
      return errorResponse(
        400,
        "ProposalReplay",
        `Proposal submission replay, already exists as proposal ${colliding}`,
      );
    }
    const keys = this.gov.keys(Tables.coseRecentProposals);
    if (keys.length > 0) {
      const median = keys[Math.floor(keys.length / 2)]!.split(":")[0]!;
      if (createdAtText < median) {
        return errorResponse(
          400,
          "ProposalCreatedTooLongAgo",
          `Proposal created too long ago, created_at must be greater than ${median}`,
        );
      }
    }
    const config = this.gov.singleton<{ recent_cose_proposals_window_size?: number }>(
      Tables.serviceConfig,
      SINGLETON_KEY,
    );
    const window = config?.recent_cose_proposals_window_size ?? DEFAULT_RECENT_PROPOSALS_WINDOW;
    this.gov.setJson(Tables.coseRecentProposals, key, proposalId);
    const excess = keys.length - (window - 1);
    for (let i = 0; i < excess; i++) this.gov.delete(Tables.coseRecentProposals, keys[i]!);
    return undefined;
  }

  // ---- ballots --------------------------------------------------------------------------

  submitBallot(urlId: string, urlMemberId: string, identity: MemberCoseIdentity): HttpResponse {
    const checked = signedProposalId(urlId, identity);
    if (!checked.ok) return checked.response;
    if (!isHexId(urlMemberId)) return badId("member", urlMemberId);
    if (urlMemberId !== identity.memberId) {
      return errorResponse(
        400,
        "InvalidResourceName",
        "Authenticated member id does not match URL",
      );
    }
    const proposalId = urlId;
    const info = this.info(proposalId);
    if (info === undefined) return notFound(proposalId);
    if (info.state !== "Open") {
      return errorResponse(
        400,
        "ProposalNotOpen",
        `Proposal ${proposalId} is currently in state ${info.state} - only Open proposals can receive votes`,
      );
    }
    const proposalBytes = this.gov.raw(Tables.proposals, proposalId);
    if (proposalBytes === undefined) return notFound(proposalId);

    let ballot: unknown;
    try {
      ballot = (JSON.parse(Buffer.from(identity.payload).toString("utf8")) as { ballot?: unknown })
        ?.ballot;
    } catch {
      ballot = undefined;
    }
    if (typeof ballot !== "string") {
      return errorResponse(
        400,
        "InvalidInput",
        'Signed request body is not a JSON object containing required string field "ballot"',
      );
    }
    const constitution = this.constitution();
    if (constitution === undefined) {
      return errorResponse(
        500,
        "InternalError",
        "No constitution is set - ballots cannot be evaluated",
      );
    }
    const existing = info.ballots[identity.memberId];
    if (existing !== undefined) {
      if (existing === ballot) return jsonResponse(200, proposalView(proposalId, info));
      return errorResponse(
        400,
        "VoteAlreadyExists",
        `Different ballot already submitted by ${identity.memberId} for ${proposalId}.`,
      );
    }
    info.ballots[identity.memberId] = ballot;
    this.recordHistory(identity);

    const proposal = Buffer.from(proposalBytes).toString("utf8");
    if (this.resolve(proposalId, proposal, info, constitution) === "Failed") {
      return errorResponse(500, "InternalError", formatFailure(info.failure));
    }
    return jsonResponse(200, proposalView(proposalId, info));
  }

  // ---- withdrawal -----------------------------------------------------------------------

  withdraw(urlId: string, identity: MemberCoseIdentity): HttpResponse {
    const checked = signedProposalId(urlId, identity);
    if (!checked.ok) return checked.response;
    const proposalId = urlId;
    const info = this.info(proposalId);
    // Unknown (never created, or already cleaned up): withdrawal is idempotent.
    if (info === undefined) return { status: 204, headers: {} };
    if (identity.memberId !== info.proposer_id) {
      return errorResponse(
        403,
        "AuthorizationFailed",
        `Proposal ${proposalId} can only be withdrawn by proposer ${info.proposer_id}, not caller ${identity.memberId}.`,
      );
    }
    if (info.state !== "Open" && info.state !== "Withdrawn") {
      return errorResponse(
        400,
        "ProposalNotOpen",
        `Proposal ${proposalId} is currently in state ${info.state} and cannot be withdrawn.`,
      );
    }
    if (info.state === "Open") {
      info.state = "Withdrawn";
      this.gov.setJson(Tables.proposalsInfo, proposalId, info);
      this.removeOtherClosedProposals(proposalId);
      this.recordHistory(identity);
    }
    return jsonResponse(200, proposalView(proposalId, info));
  }

  // ---- resolution -----------------------------------------------------------------------

  /** Only the newest closed proposal stays readable (§4.3 step 4). */
  private removeOtherClosedProposals(proposalId: string): void {
    for (const [id, info] of this.gov.entries<ProposalInfo>(Tables.proposalsInfo)) {
      if (id !== proposalId && info.state !== "Open") {
        this.gov.delete(Tables.proposals, id);
        this.gov.delete(Tables.proposalsInfo, id);
      }
    }
  }

  /**
   * Re-runs every ballot, then `resolve`, then `apply` if Accepted; updates `info` in place and
   * writes it back. A Failed outcome must make the caller discard the transaction.
   */
  private resolve(
    proposalId: string,
    proposal: string,
    info: ProposalInfo,
    constitution: string,
  ): ProposalState {
    const votes: Record<string, boolean> = {};
    const voteFailures: Record<string, Failure> = {};
    for (const memberId of Object.keys(info.ballots).sort()) {
      const outcome = this.runner.vote(
        this.tx,
        `${Tables.proposalsInfo}[${proposalId}].ballots[${memberId}]`,
        info.ballots[memberId]!,
        proposal,
        info.proposer_id,
      );
      if (outcome.ok) votes[memberId] = outcome.value === true;
      else voteFailures[memberId] = outcome.failure;
    }

    this.gov.setJson(Tables.proposalsInfo, proposalId, info);
    const voteList = Object.entries(votes).map(([member_id, vote]) => ({ member_id, vote }));
    const resolved = this.runner.resolve(
      this.tx,
      constitution,
      proposal,
      info.proposer_id,
      voteList,
      proposalId,
    );
    if (!resolved.ok) {
      info.state = "Failed";
      info.failure = {
        ...resolved.failure,
        reason: `Failed to resolve(): ${resolved.failure.reason}`,
      };
    } else if (
      resolved.value === "Open" ||
      resolved.value === "Accepted" ||
      resolved.value === "Rejected"
    ) {
      info.state = resolved.value;
    } else {
      info.state = "Failed";
      info.failure = {
        reason: `resolve() returned invalid status value: "${String(resolved.value)}"`,
      };
    }
    this.gov.setJson(Tables.proposalsInfo, proposalId, info);
    if (info.state === "Open") return info.state;

    this.removeOtherClosedProposals(proposalId);
    info.final_votes = votes;
    info.vote_failures = voteFailures;
    this.gov.setJson(Tables.proposalsInfo, proposalId, info);
    if (info.state !== "Accepted") return info.state;

    const applied = this.runner.apply(this.tx, constitution, proposal, proposalId);
    if (!applied.ok) {
      info.state = "Failed";
      info.failure = { ...applied.failure, reason: `Failed to apply(): ${applied.failure.reason}` };
      this.gov.setJson(Tables.proposalsInfo, proposalId, info);
    } else {
      // apply may have changed this proposal's record (it cannot here, but re-read to be safe).
      const stored = this.info(proposalId);
      if (stored) Object.assign(info, stored);
    }
    return info.state;
  }
}
