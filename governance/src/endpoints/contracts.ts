// Contracts: members edit drafts here (versioned), then agree them by a CCF proposal
// (`set_contract`, governance/constitution/contracts.js). A contract's state is computed from
// the draft, the accepted record and the proposals CCF still holds (policy/contracts.ts).
import type { Request, Response } from "@microsoft/ccf-app";
import {
  validateContractDocument,
  validateContractId,
  type AcceptedContract,
  type ContractDocument,
} from "../../../contracts/src/contract.js";
import { requireMember, requireParticipant } from "../lib/caller.js";
import {
  contractDrafts,
  contractSwitches,
  readAcceptedContract,
  readContractProposals,
  type ContractDraft,
} from "../lib/contracts.js";
import { badRequest, endpoint, forbidden, notFound } from "../lib/errors.js";
import { recordEvent } from "../lib/events.js";
import { intParam, jsonBody, pathParam, queryParams } from "../lib/http.js";
import { appendToList, listPage } from "../lib/lists.js";
import { JsonTable, type Versioned } from "../lib/records.js";
import {
  CONTRACT_STATES,
  contractState,
  participatesIn,
  type ContractProposal,
  type ContractState,
  type ContractStatus,
} from "../policy/contracts.js";
import { Tables } from "../tables.js";

/** Every contract that ever had a draft, in order of its first draft. */
const DRAFT_LIST = "contracts";
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

const versions = new JsonTable<AcceptedContract>(Tables.contractVersions);
const acceptedIndex = new JsonTable<string | number>(Tables.contractIndex);

function contractIdParam(request: Request): string {
  const raw = pathParam(request, "contractId");
  try {
    return validateContractId(raw);
  } catch (error) {
    throw badRequest("InvalidContractId", (error as Error).message);
  }
}

/** The proposed document, if it is one (the constitution validated it; be safe anyway). */
function proposedDocument(proposal: ContractProposal | undefined): ContractDocument | undefined {
  if (!proposal) return undefined;
  try {
    return validateContractDocument(proposal.document);
  } catch {
    return undefined;
  }
}

interface Known {
  contractId: string;
  draft?: Versioned<ContractDraft>;
  accepted?: AcceptedContract;
  status: ContractStatus;
}

/** What governance knows of a contract, or undefined if nothing. */
function lookUp(contractId: string, proposals: Map<string, ContractProposal[]>): Known | undefined {
  const draft = contractDrafts.getVersioned(contractId);
  const accepted = readAcceptedContract(contractId);
  const status = contractState({
    draftVersion: draft?.version,
    acceptedVersion: accepted?.version,
    proposals: proposals.get(contractId) ?? [],
  });
  if (!status) return undefined;
  const known: Known = { contractId, status };
  if (draft) known.draft = draft;
  if (accepted) known.accepted = accepted;
  return known;
}

/** Members see every contract; users see those whose draft, proposal or accepted version names them. */
function mayRead(caller: { kind: "member" | "user"; id: string }, known: Known): boolean {
  return (
    caller.kind === "member" ||
    participatesIn(caller.id, [
      known.draft?.value.document,
      known.accepted?.document,
      proposedDocument(known.status.proposal),
    ])
  );
}

/** PUT /contracts/{contractId} {document, version?}: saves a new draft version (members). */
export const putContract = endpoint((request: Request): Response => {
  const contractId = contractIdParam(request);
  const body = jsonBody(request);
  for (const key of Object.keys(body)) {
    if (key !== "document" && key !== "version") {
      throw badRequest("InvalidRequest", `Unknown field '${key}': send {document, version?}.`);
    }
  }
  const version = body["version"];
  if (version !== undefined && typeof version !== "string") {
    throw badRequest("InvalidVersion", "'version' must be the draft's version, a string.");
  }
  let document: ContractDocument;
  try {
    document = validateContractDocument(body["document"]);
  } catch (error) {
    throw badRequest("InvalidContract", (error as Error).message);
  }
  const member = requireMember(request);

  const previous = contractDrafts.getVersioned(contractId);
  contractDrafts.replace(
    contractId,
    { document, updatedBy: member.id },
    version,
    `The draft of contract ${contractId}`,
  );
  if (!previous) appendToList(DRAFT_LIST, contractId);
  recordEvent(contractId, "governance", {
    type: "contract.draft_saved",
    actor: member.id,
    details: {
      previousVersion: previous?.version ?? null,
      participants: document.participants.map((p) => p.id),
      measurements: document.policy.measurements.length,
      allowVirtual: document.policy.allowVirtual,
    },
  });
  // The new version is this transaction's id: the x-ms-ccf-transaction-id response header.
  return { statusCode: previous ? 200 : 201, body: { contractId, state: "Draft" } };
});

/** GET /contracts/{contractId}: state, draft, accepted version, open or rejected proposal. */
export const getContract = endpoint((request: Request): Response => {
  const contractId = contractIdParam(request);
  const caller = requireParticipant(request);
  const known = lookUp(contractId, readContractProposals());
  if (!known) throw notFound("ContractNotFound", `There is no contract ${contractId}.`);
  if (!mayRead(caller, known)) {
    throw forbidden(
      "NotAParticipant",
      `The caller is not a participant of contract ${contractId}.`,
    );
  }

  const { draft, accepted, status } = known;
  const body: Record<string, unknown> = { contractId, state: status.state };
  if (draft) body["draft"] = { document: draft.value.document, version: draft.version };
  if (accepted) {
    body["accepted"] = {
      document: accepted.document,
      version: accepted.version,
      proposalId: accepted.proposalId,
      proposerId: accepted.proposerId,
      finalVotes: accepted.finalVotes ?? {},
      sequence: accepted.sequence ?? 1,
    };
    body["switches"] = contractSwitches(contractId);
  }
  if (status.proposal) {
    body["proposalId"] = status.proposal.proposalId;
    body["proposed"] = { document: status.proposal.document, version: status.proposal.version };
  }
  return { body };
});

/** GET /contracts/{contractId}/versions/{sequence}: an accepted version, as it was accepted. */
export const getContractVersion = endpoint((request: Request): Response => {
  const contractId = contractIdParam(request);
  const raw = pathParam(request, "sequence");
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) {
    throw badRequest("InvalidParameter", "'sequence' must be a positive integer: 1, 2, …");
  }
  const caller = requireParticipant(request);
  const version = versions.get(`${contractId}@${raw}`);
  if (!version) {
    throw notFound(
      "ContractVersionNotFound",
      `Contract ${contractId} has no accepted version ${raw}.`,
    );
  }
  const current = readAcceptedContract(contractId);
  if (
    caller.kind !== "member" &&
    !participatesIn(caller.id, [version.document, current?.document])
  ) {
    throw forbidden(
      "NotAParticipant",
      `The caller is not a participant of contract ${contractId}.`,
    );
  }
  return { body: version };
});

// Listing. Contracts enter the catalogue by their first draft (DRAFT_LIST, app side) or by their
// first acceptance (the contract index, written by set_contract: a member may propose a contract
// that was never drafted here). A page walks the drafts list, then the accepted index (skipping
// contracts that have a draft), reading at most `limit` entries: its cost is flat whatever the
// number of contracts. Entries the caller may not see or that are filtered out by `state` are
// skipped, so a page may hold fewer than `limit` items and still have a nextLink.

interface Cursor {
  part: "d" | "a";
  position: number;
}

function parseCursor(raw: string | undefined): Cursor {
  if (raw === undefined) return { part: "d", position: 0 };
  const match = /^([da])([0-9]{1,15})$/.exec(raw);
  if (!match) {
    throw badRequest("InvalidParameter", "'start' must be a position from a nextLink, e.g. d0.");
  }
  return { part: match[1] as "d" | "a", position: Number(match[2]) };
}

function acceptedPage(start: number, limit: number): { items: string[]; next?: number } {
  const count = (acceptedIndex.get("count") as number | undefined) ?? 0;
  const end = Math.min(count, start + limit);
  const items: string[] = [];
  for (let position = start; position < end; position++) {
    const id = acceptedIndex.get(String(position));
    if (typeof id === "string") items.push(id);
  }
  return end < count ? { items, next: end } : { items };
}

/** GET /contracts?state=&start=&limit= */
export const listContracts = endpoint((request: Request): Response => {
  const params = queryParams(request);
  const wanted = params.get("state");
  if (wanted !== undefined && !CONTRACT_STATES.includes(wanted as ContractState)) {
    throw badRequest("InvalidParameter", `'state' must be one of ${CONTRACT_STATES.join(", ")}.`);
  }
  const limit = intParam(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
  let cursor: Cursor | undefined = parseCursor(params.get("start"));
  const caller = requireParticipant(request);

  const entries: string[] = [];
  let budget = limit;
  if (cursor.part === "d") {
    const page = listPage(DRAFT_LIST, cursor.position, budget);
    entries.push(...page.items);
    budget -= page.items.length;
    cursor =
      page.next === undefined ? { part: "a", position: 0 } : { part: "d", position: page.next };
  }
  if (cursor.part === "a" && budget > 0) {
    const page = acceptedPage(cursor.position, budget);
    entries.push(...page.items.filter((id) => !contractDrafts.has(id)));
    cursor = page.next === undefined ? undefined : { part: "a", position: page.next };
  } else if (cursor.part === "a" && acceptedPage(cursor.position, 1).items.length === 0) {
    cursor = undefined;
  }

  const proposals = readContractProposals();
  const value: Record<string, unknown>[] = [];
  for (const contractId of entries) {
    const known = lookUp(contractId, proposals);
    if (!known || !mayRead(caller, known)) continue;
    if (wanted !== undefined && known.status.state !== wanted) continue;
    const item: Record<string, unknown> = { contractId, state: known.status.state };
    const description =
      known.draft?.value.document.description ?? known.accepted?.document.description;
    if (description !== undefined) item["description"] = description;
    if (known.draft) item["draftVersion"] = known.draft.version;
    if (known.accepted) item["acceptedVersion"] = known.accepted.version;
    if (known.status.proposal) item["proposalId"] = known.status.proposal.proposalId;
    value.push(item);
  }
  if (!cursor) return { body: { value } };
  const link = [`start=${cursor.part}${cursor.position}`, `limit=${limit}`];
  if (wanted !== undefined) link.push(`state=${wanted}`);
  return { body: { value, nextLink: `/app/contracts?${link.join("&")}` } };
});
