/**
 * A member's side of CCF governance: the `/gov` API (api-version 2024-07-01) with requests signed
 * as COSE Sign1 by the member's own key (`kid` = its certificate id, `ccf.gov.msg.type`,
 * `ccf.gov.msg.created_at`, `ccf.gov.msg.proposal_id`), the unauthenticated reads, member
 * activation (state digest update, then ack), and waiting for a transaction to commit.
 */
import { certificateId, signCoseSign1 } from "../cose.js";
import { GovernanceError, type Transport, type TransportResponse } from "./transport.js";

export const GOV_API_VERSION = "2024-07-01";

/** A member's signing material. The key signs locally; it is never sent. */
export interface MemberCredentials {
  certPem: string;
  privateKeyPem: string;
}

/** One governance action, as CCF's proposal format has it. */
export interface GovernanceAction {
  name: string;
  args?: Record<string, unknown>;
}

export type ProposalState = "Open" | "Accepted" | "Withdrawn" | "Rejected" | "Failed" | "Dropped";

/** The API's `Proposal`. */
export interface Proposal {
  proposalId: string;
  proposerId: string;
  proposalState: ProposalState;
  ballotCount: number;
  finalVotes?: Record<string, boolean>;
  voteFailures?: Record<string, { reason: string; trace?: string }>;
  failure?: { reason: string; trace?: string };
}

export interface StateDigest {
  memberId: string;
  stateDigest: string;
}

export interface ServiceMember {
  memberId: string;
  status: "Accepted" | "Active";
  certificate: string;
  memberData?: unknown;
  publicEncryptionKey?: string;
  recoveryRole?: string;
}

export type TransactionStatus = "Unknown" | "Pending" | "Committed" | "Invalid";

export interface WaitOptions {
  /** Give up after this long. Default 30 s. */
  timeoutMs?: number;
  /** Poll every this long. Default 100 ms. */
  pollMs?: number;
}

/** The ballot module CCF runs for a plain for or against vote. */
export function ballotSource(inFavour: boolean): string {
  return `export function vote(proposal, proposerId) {\n  return ${inFavour};\n}\n`;
}

const TX_ID = /^\d+\.\d+$/;
const PROPOSAL_ID = /^[0-9a-f]{64}$/;

/** The status of a transaction (`GET /app/tx`); no authentication needed. */
export async function transactionStatus(
  transport: Transport,
  transactionId: string,
): Promise<TransactionStatus> {
  if (!TX_ID.test(transactionId)) {
    throw new GovernanceError(
      0,
      "InvalidRequest",
      `'${transactionId}' is not a transaction id (view.seqno, e.g. 2.15).`,
    );
  }
  const reply = await transport.request<{ status: TransactionStatus }>({
    method: "GET",
    path: "/app/tx",
    query: { transaction_id: transactionId },
  });
  return reply.body.status;
}

/**
 * Waits until `transactionId` is Committed. Throws `TransactionInvalid` if it was rolled back
 * (it will never commit: resubmit), `Timeout` if it did not commit in time.
 */
export async function waitForCommit(
  transport: Transport,
  transactionId: string,
  options: WaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pollMs = options.pollMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await transactionStatus(transport, transactionId);
    if (status === "Committed") return;
    if (status === "Invalid") {
      throw new GovernanceError(
        0,
        "TransactionInvalid",
        `Transaction ${transactionId} was rolled back and will never commit: submit the change again.`,
      );
    }
    if (Date.now() >= deadline) {
      throw new GovernanceError(
        0,
        "Timeout",
        `Transaction ${transactionId} is still ${status} after ${Math.round(timeoutMs / 1000)} s.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function requireProposalId(proposalId: string): void {
  if (!PROPOSAL_ID.test(proposalId)) {
    throw new GovernanceError(
      0,
      "InvalidRequest",
      `'${proposalId}' is not a proposal id (64 lower-case hex characters).`,
    );
  }
}

export class GovClient {
  /** The member's id (lower-hex SHA-256 of its certificate), when signing material was given. */
  readonly memberId: string | undefined;

  /**
   * `member` is needed for signed requests (propose, vote, withdraw, ack); reads and
   * `waitForCommit` work without it.
   */
  constructor(
    readonly transport: Transport,
    private readonly member?: MemberCredentials,
  ) {
    if (member) {
      try {
        this.memberId = certificateId(member.certPem);
      } catch {
        throw new GovernanceError(
          0,
          "InvalidRequest",
          "The member certificate is not a PEM certificate.",
        );
      }
    }
  }

  private signer(): { member: MemberCredentials; id: string } {
    if (!this.member || this.memberId === undefined) {
      throw new GovernanceError(
        0,
        "InvalidRequest",
        "Signed governance requests need a member's certificate and private key.",
      );
    }
    return { member: this.member, id: this.memberId };
  }

  /** Signs `payload` as a `/gov` request of message type `type`. */
  sign(type: string, payload: string, proposalId?: string): Uint8Array {
    const { member, id } = this.signer();
    const headers: Record<string, string | number> = {
      "ccf.gov.msg.type": type,
      "ccf.gov.msg.created_at": Math.floor(Date.now() / 1000),
    };
    if (proposalId !== undefined) headers["ccf.gov.msg.proposal_id"] = proposalId;
    try {
      return signCoseSign1({
        privateKeyPem: member.privateKeyPem,
        kid: id,
        protectedHeaders: headers,
        payload: Buffer.from(payload, "utf8"),
      });
    } catch (error) {
      // signCoseSign1's messages name the key's type or curve, never its bytes.
      throw new GovernanceError(
        0,
        "InvalidSigningKey",
        `The member's private key cannot sign: ${(error as Error).message}.`,
      );
    }
  }

  private async post<T>(path: string, signed: Uint8Array): Promise<TransportResponse<T>> {
    return this.transport.request<T>({
      method: "POST",
      path: `/gov${path}`,
      query: { "api-version": GOV_API_VERSION },
      body: { bytes: signed, contentType: "application/cose" },
    });
  }

  private async get<T>(path: string): Promise<T> {
    const reply = await this.transport.request<T>({
      method: "GET",
      path: `/gov${path}`,
      query: { "api-version": GOV_API_VERSION },
    });
    return reply.body;
  }

  /** Submits a proposal of `actions`, signed by the member. */
  async propose(actions: readonly GovernanceAction[]): Promise<Proposal> {
    return this.proposeText(JSON.stringify({ actions }));
  }

  /** Submits a proposal given as its JSON text (`{"actions": […]}`), signed as it is. */
  async proposeText(proposalJson: string): Promise<Proposal> {
    const signed = this.sign("proposal", proposalJson);
    return (await this.post<Proposal>("/members/proposals:create", signed)).body;
  }

  /**
   * Votes on a proposal: `true`/`false` for a plain for/against ballot, or the source of a ballot
   * module exporting `vote(proposal, proposerId)`.
   */
  async vote(proposalId: string, ballot: boolean | string): Promise<Proposal> {
    requireProposalId(proposalId);
    const { id } = this.signer();
    const source = typeof ballot === "boolean" ? ballotSource(ballot) : ballot;
    const signed = this.sign("ballot", JSON.stringify({ ballot: source }), proposalId);
    const path = `/members/proposals/${proposalId}/ballots/${id}:submit`;
    return (await this.post<Proposal>(path, signed)).body;
  }

  /** Withdraws an Open proposal the member made. */
  async withdraw(proposalId: string): Promise<Proposal> {
    requireProposalId(proposalId);
    const signed = this.sign("withdrawal", "", proposalId);
    return (await this.post<Proposal>(`/members/proposals/${proposalId}:withdraw`, signed)).body;
  }

  async proposal(proposalId: string): Promise<Proposal> {
    requireProposalId(proposalId);
    return this.get<Proposal>(`/members/proposals/${proposalId}`);
  }

  /** A proposal's actions, as proposed. */
  async proposalActions(proposalId: string): Promise<GovernanceAction[]> {
    requireProposalId(proposalId);
    return (
      await this.get<{ actions: GovernanceAction[] }>(`/members/proposals/${proposalId}/actions`)
    ).actions;
  }

  /** The proposals CCF keeps: every Open one and the newest closed one. */
  async proposals(): Promise<Proposal[]> {
    return (await this.get<{ value: Proposal[] }>("/members/proposals")).value;
  }

  /** The consortium's members and their status (Accepted until they ack, then Active). */
  async members(): Promise<ServiceMember[]> {
    return (await this.get<{ value: ServiceMember[] }>("/service/members")).value;
  }

  /**
   * Activates the member (an Accepted member becomes Active): asks for a fresh state digest,
   * then acks it, both signed. Returns the digest acked.
   */
  async ack(): Promise<StateDigest> {
    const { id } = this.signer();
    const path = `/members/state-digests/${id}`;
    const updated = await this.post<StateDigest>(`${path}:update`, this.sign("state_digest", ""));
    const digest = updated.body.stateDigest;
    await this.post<unknown>(
      `${path}:ack`,
      this.sign("ack", JSON.stringify({ stateDigest: digest })),
    );
    return { memberId: id, stateDigest: digest };
  }

  /** Waits until `transactionId` is Committed (see `waitForCommit`). */
  waitForCommit(transactionId: string, options?: WaitOptions): Promise<void> {
    return waitForCommit(this.transport, transactionId, options);
  }
}
