/**
 * A `/gov` client for tests: signs requests with a member's own key (COSE Sign1, as CCF's
 * `ccf_cose_sign1` does) and sends them over the pinned HTTPS client.
 */
import { certificateId, signCoseSign1 } from "../../client/cose.js";
import { Client, type Identity, type Reply } from "./client.js";

export const API = "api-version=2024-07-01";

export interface Member extends Identity {
  id: string;
}

export interface Proposal {
  proposalId: string;
  proposerId: string;
  proposalState: string;
  ballotCount: number;
  finalVotes?: Record<string, boolean>;
  voteFailures?: Record<string, { reason: string; trace?: string }>;
  failure?: { reason: string };
}

export const idOf = certificateId;

export function member(workspace: string, name: string): Member {
  const identity = Client.identity(workspace, name);
  return { ...identity, id: idOf(identity.cert) };
}

export const ballotFor = "export function vote(proposal, proposerId) { return true; }";
export const ballotAgainst = "export function vote(proposal, proposerId) { return false; }";

export interface SignOptions {
  proposalId?: string;
  /** Seconds; `null` leaves the header out. Defaults to now. */
  createdAt?: number | null;
  /** Defaults to the member's id. */
  kid?: string;
  /** `null` leaves the message type out. */
  type?: string | null;
}

export class GovClient {
  constructor(readonly client: Client) {}

  sign(signer: Member, type: string, payload: unknown, options: SignOptions = {}): Uint8Array {
    const headers: Record<string, string | number> = {};
    const msgType = options.type === undefined ? type : options.type;
    if (msgType !== null) headers["ccf.gov.msg.type"] = msgType;
    const createdAt =
      options.createdAt === undefined ? Math.floor(Date.now() / 1000) : options.createdAt;
    if (createdAt !== null) headers["ccf.gov.msg.created_at"] = createdAt;
    if (options.proposalId !== undefined) headers["ccf.gov.msg.proposal_id"] = options.proposalId;
    return signCoseSign1({
      privateKeyPem: signer.key,
      kid: options.kid ?? signer.id,
      protectedHeaders: headers,
      payload: Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload)),
    });
  }

  get(path: string, query = API): Promise<Reply> {
    return this.client.request(`/gov${path}${query ? `?${query}` : ""}`);
  }

  post(
    path: string,
    body: Uint8Array,
    contentType = "application/cose",
    query = API,
  ): Promise<Reply> {
    return this.client.request(`/gov${path}${query ? `?${query}` : ""}`, {
      method: "POST",
      body,
      headers: { "content-type": contentType },
    });
  }

  propose(proposer: Member, actions: unknown[], options: SignOptions = {}): Promise<Reply> {
    return this.post(
      "/members/proposals:create",
      this.sign(proposer, "proposal", { actions }, options),
    );
  }

  vote(
    voter: Member,
    proposalId: string,
    ballot: boolean | string,
    options: SignOptions = {},
  ): Promise<Reply> {
    const source = typeof ballot === "string" ? ballot : ballot ? ballotFor : ballotAgainst;
    return this.post(
      `/members/proposals/${proposalId}/ballots/${voter.id}:submit`,
      this.sign(voter, "ballot", { ballot: source }, { proposalId, ...options }),
    );
  }

  withdraw(proposer: Member, proposalId: string, options: SignOptions = {}): Promise<Reply> {
    return this.post(
      `/members/proposals/${proposalId}:withdraw`,
      this.sign(proposer, "withdrawal", "", { proposalId, ...options }),
    );
  }

  async proposal(proposalId: string): Promise<Reply> {
    return this.get(`/members/proposals/${proposalId}`);
  }

  async proposals(): Promise<Proposal[]> {
    return (await this.get("/members/proposals")).json<{ value: Proposal[] }>().value;
  }
}

/** The error body of a reply: `{code, message, details?}`. */
export function errorOf(reply: Reply): {
  code: string;
  message: string;
  details?: { message: string }[];
} {
  return reply.json<{ error: { code: string; message: string; details?: { message: string }[] } }>()
    .error;
}
