/**
 * The sandbox acting for the members whose keys it holds (the workspace's `member<i>_privk.pem`),
 * as CCF's sandbox scripts do: it signs `/gov` requests with each member's own key and sends them
 * through the same request path as HTTP clients (`Node.handle`). Used at start-up (ack the
 * initial members, deploy the bundle, add the users, open the service) and by
 * `Sandbox.applyActions`.
 */
import { certificateId, signCoseSign1 } from "../../client/cose.js";
import type { HttpRequest, HttpResponse } from "../http/messages.js";
import type { GovernanceAction } from "../types.js";
import { GOV_API_VERSION } from "./api.js";
import { COSE_CONTENT_TYPE } from "../cose/signer.js";
import { GOV_MSG_CREATED_AT, GOV_MSG_PROPOSAL_ID, GOV_MSG_TYPE } from "./cose-auth.js";
import type { ProposalView } from "./proposals.js";

export interface MemberKey {
  /** Lower-hex SHA-256 of the certificate's DER: the member id. */
  id: string;
  certPem: string;
  privateKeyPem: string;
}

export function memberKey(certPem: string, privateKeyPem: string): MemberKey {
  return { id: certificateId(certPem), certPem, privateKeyPem };
}

/** A `/gov` request that did not succeed: CCF's error code and message, and the status. */
export class GovRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BALLOT_FOR = "export function vote(proposal, proposerId) {\n  return true;\n}\n";
const BALLOT_AGAINST = "export function vote(proposal, proposerId) {\n  return false;\n}\n";

export class ActingMembers {
  constructor(
    private readonly send: (request: HttpRequest) => HttpResponse,
    readonly members: readonly MemberKey[],
  ) {}

  private call(method: string, path: string, body?: Uint8Array): HttpResponse {
    const request: HttpRequest = {
      method,
      path: `/gov${path}`,
      query: `api-version=${GOV_API_VERSION}`,
      headers: body ? { "content-type": COSE_CONTENT_TYPE } : {},
      body: body ?? new Uint8Array(0),
    };
    const response = this.send(request);
    if (response.status >= 200 && response.status < 300) return response;
    let code = "InternalError";
    let message = `HTTP ${response.status}`;
    try {
      const parsed = JSON.parse(Buffer.from(response.body ?? []).toString("utf8")) as {
        error?: { code?: string; message?: string; details?: { message?: string }[] };
      };
      code = parsed.error?.code ?? code;
      message = parsed.error?.details?.[0]?.message ?? parsed.error?.message ?? message;
    } catch {
      // Not JSON: keep the status.
    }
    throw new GovRequestError(response.status, code, message);
  }

  private json<T>(response: HttpResponse): T {
    return JSON.parse(Buffer.from(response.body ?? []).toString("utf8")) as T;
  }

  private signed(
    member: MemberKey,
    type: string,
    payload: unknown,
    proposalId?: string,
  ): Uint8Array {
    const headers: Record<string, string | number> = {
      [GOV_MSG_TYPE]: type,
      [GOV_MSG_CREATED_AT]: Math.floor(Date.now() / 1000),
    };
    if (proposalId !== undefined) headers[GOV_MSG_PROPOSAL_ID] = proposalId;
    return signCoseSign1({
      privateKeyPem: member.privateKeyPem,
      kid: member.id,
      protectedHeaders: headers,
      payload: Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload)),
    });
  }

  /**
   * Activates a member: refreshes its state digest to the latest signature's root, or, if the
   * service has signed nothing yet, takes the digest recorded for it; then acks it.
   */
  activate(member: MemberKey): void {
    const path = `/members/state-digests/${member.id}`;
    let digest: string;
    try {
      const updated = this.call("POST", `${path}:update`, this.signed(member, "state_digest", ""));
      digest = this.json<{ stateDigest: string }>(updated).stateDigest;
    } catch (error) {
      if (!(error instanceof GovRequestError) || error.status !== 500) throw error;
      digest = this.json<{ stateDigest: string }>(this.call("GET", path)).stateDigest;
    }
    this.call("POST", `${path}:ack`, this.signed(member, "ack", { stateDigest: digest }));
  }

  propose(proposer: MemberKey, actions: GovernanceAction[]): ProposalView {
    const body = this.signed(proposer, "proposal", { actions });
    return this.json<ProposalView>(this.call("POST", "/members/proposals:create", body));
  }

  vote(member: MemberKey, proposalId: string, accept: boolean): ProposalView {
    const body = this.signed(
      member,
      "ballot",
      { ballot: accept ? BALLOT_FOR : BALLOT_AGAINST },
      proposalId,
    );
    const path = `/members/proposals/${proposalId}/ballots/${member.id}:submit`;
    return this.json<ProposalView>(this.call("POST", path, body));
  }

  withdraw(member: MemberKey, proposalId: string): void {
    const body = this.signed(member, "withdrawal", "", proposalId);
    this.call("POST", `/members/proposals/${proposalId}:withdraw`, body);
  }

  /**
   * Proposes `actions` as the first member and votes for them with the others until the proposal
   * leaves Open. Throws `GovRequestError` if it does not end Accepted; a proposal left Open by a
   * failure is withdrawn, so nothing of it remains in force.
   */
  pass(actions: GovernanceAction[]): ProposalView {
    const [proposer, ...others] = this.members;
    if (!proposer) {
      throw new GovRequestError(
        403,
        "NoMemberKey",
        "The sandbox holds no member's private key and cannot act for any member",
      );
    }
    let proposal = this.propose(proposer, actions);
    try {
      for (const member of others) {
        if (proposal.proposalState !== "Open") break;
        proposal = this.vote(member, proposal.proposalId, true);
      }
    } catch (error) {
      this.withdrawQuietly(proposer, proposal.proposalId);
      throw error;
    }
    if (proposal.proposalState !== "Accepted") {
      if (proposal.proposalState === "Open") this.withdrawQuietly(proposer, proposal.proposalId);
      throw new GovRequestError(
        400,
        "ProposalNotAccepted",
        `Proposal ${proposal.proposalId} ended ${proposal.proposalState}, not Accepted`,
      );
    }
    return proposal;
  }

  private withdrawQuietly(proposer: MemberKey, proposalId: string): void {
    try {
      this.withdraw(proposer, proposalId);
    } catch {
      // Best effort: the original failure is what matters.
    }
  }
}
