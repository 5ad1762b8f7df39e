/**
 * The `/gov` REST API, `api-version=2024-07-01` (and `2023-06-01-preview`), as CCF serves it
 * (ccf-runtime.md §4.1; gov `handlers/*.h`, `gov.json`).
 *
 * Signed endpoints authenticate first (a COSE Sign1 body from a member, see cose-auth.ts), then
 * check `api-version`, as CCF's front end authenticates before the handler's version adapter
 * runs; unsigned endpoints only check `api-version`. Each request runs in one transaction that
 * is committed only if the response is a 2xx.
 */
import { createPublicKey } from "node:crypto";
import type { Node } from "../enclave/node.js";
import { SINGLETON_KEY, Tables, readEndpoints } from "../enclave/tables.js";
import {
  errorResponse,
  jsonResponse,
  type HttpRequest,
  type HttpResponse,
} from "../http/messages.js";
import { formatTxId, parseTxId } from "../kv/store.js";
import { Transaction } from "../kv/tx.js";
import { authenticateMember, type GovMessageType, type MemberCoseIdentity } from "./cose-auth.js";
import { ConstitutionRunner } from "./governance.js";
import { GovTables } from "./kv.js";
import {
  DEFAULT_RECENT_PROPOSALS_WINDOW,
  Proposals,
  isHexId,
  proposalView,
  type ProposalInfo,
} from "./proposals.js";

/** api-version values, oldest first, as CCF lists them in its errors. */
const API_VERSIONS = ["2023-06-01-preview", "2024-07-01"] as const;
export const GOV_API_VERSION = "2024-07-01";

interface Context {
  request: HttpRequest;
  params: Record<string, string>;
  tx: Transaction;
  gov: GovTables;
  /** Set for signed endpoints once authenticated. */
  identity: MemberCoseIdentity | undefined;
}

interface Route {
  method: "GET" | "POST";
  pattern: RegExp;
  names: string[];
  signed?: { type: GovMessageType; activeOnly: boolean };
  /** Index in API_VERSIONS of the oldest version served (CCF: v1 for the javascript-app). */
  minVersion?: number;
  handler: (ctx: Context) => HttpResponse;
}

const noContent = (): HttpResponse => ({ status: 204, headers: {} });

const javascript = (text: string): HttpResponse => ({
  status: 200,
  headers: { "content-type": "text/javascript" },
  body: Buffer.from(text, "utf8"),
});

function template(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split(/\{([^{}/]+)\}/g)
    .map((part, i) => {
      if (i % 2 === 1) {
        names.push(part);
        return "([^/]+?)";
      }
      return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
    })
    .join("");
  return { pattern: new RegExp(`^${source}$`), names };
}

interface MemberInfo {
  status: string;
  member_data?: unknown;
  recovery_role?: string;
}

interface Ack {
  state_digest: string;
  cose_sign1_req?: string;
  [field: string]: unknown;
}

export class GovApi {
  private readonly runner: ConstitutionRunner;
  private readonly routes: Route[];

  constructor(private readonly node: Node) {
    this.runner = new ConstitutionRunner(node);
    this.routes = this.buildRoutes();
  }

  handle(request: HttpRequest): HttpResponse {
    const path = request.path.slice("/gov".length);
    const candidates = this.routes
      .map((route) => ({ route, match: route.pattern.exec(path) }))
      .filter((c) => c.match !== null);
    const found = candidates.find((c) => c.route.method === request.method.toUpperCase());
    if (!found) {
      if (candidates.length === 0) {
        return errorResponse(404, "ResourceNotFound", `Unknown path: ${request.path}.`);
      }
      const allowed = [...new Set(candidates.map((c) => c.route.method))].sort().join(", ");
      return errorResponse(
        405,
        "UnsupportedHttpVerb",
        `Allowed methods for '${request.path}' are: ${allowed}.`,
        undefined,
        { allow: allowed },
      );
    }
    const { route, match } = found;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => (params[name] = match![i + 1]!));

    const tx = new Transaction(
      this.node.store.current,
      route.signed ? "gov-apply" : "gov-readonly",
    );
    const ctx: Context = { request, params, tx, gov: new GovTables(tx), identity: undefined };
    if (route.signed) {
      const auth = authenticateMember(request, ctx.gov, route.signed.type, route.signed.activeOnly);
      if (!auth.ok) return auth.response;
      ctx.identity = auth.identity;
    }
    const versionError = this.checkApiVersion(request, route.minVersion ?? 0);
    if (versionError) return versionError;

    const response = route.handler(ctx);
    if (response.status >= 200 && response.status < 300 && tx.hasWrites) this.node.commit(tx);
    return response;
  }

  private checkApiVersion(request: HttpRequest, minVersion: number): HttpResponse | undefined {
    const supported = API_VERSIONS.slice(minVersion);
    const suffix = `The supported api-versions are: ${supported.join(", ")}`;
    const value = new URLSearchParams(request.query).get("api-version");
    if (value === null) {
      return errorResponse(
        400,
        "MissingApiVersionParameter",
        `The api-version query parameter (?api-version=) is required for this request. ${suffix}`,
      );
    }
    if (!(supported as readonly string[]).includes(value)) {
      return errorResponse(
        400,
        "UnsupportedApiVersionValue",
        `Unsupported api-version '${value}'. ${suffix}`,
      );
    }
    return undefined;
  }

  private buildRoutes(): Route[] {
    const routes: Route[] = [];
    const add = (
      method: Route["method"],
      path: string,
      handler: Route["handler"],
      options: Pick<Route, "signed" | "minVersion"> = {},
    ) => routes.push({ method, ...template(path), ...options, handler });
    const active = (type: GovMessageType) => ({ signed: { type, activeOnly: true } });
    const anyMember = (type: GovMessageType) => ({ signed: { type, activeOnly: false } });
    const proposals = (ctx: Context) =>
      new Proposals(ctx.tx, this.runner, () => this.node.merkleRoot());

    // Proposals and ballots (proposals.h).
    add(
      "POST",
      "/members/proposals:create",
      (c) => proposals(c).create(c.identity!),
      active("proposal"),
    );
    add("GET", "/members/proposals", (c) => this.listProposals(c));
    add(
      "POST",
      "/members/proposals/{proposalId}:withdraw",
      (c) => proposals(c).withdraw(c.params["proposalId"]!, c.identity!),
      active("withdrawal"),
    );
    add("GET", "/members/proposals/{proposalId}", (c) => this.getProposal(c));
    add("GET", "/members/proposals/{proposalId}/actions", (c) => this.getActions(c));
    add(
      "POST",
      "/members/proposals/{proposalId}/ballots/{memberId}:submit",
      (c) => proposals(c).submitBallot(c.params["proposalId"]!, c.params["memberId"]!, c.identity!),
      active("ballot"),
    );
    add("GET", "/members/proposals/{proposalId}/ballots/{memberId}", (c) => this.getBallot(c));

    // Member activation (acks.h).
    add("GET", "/members/state-digests/{memberId}", (c) => this.getStateDigest(c));
    add(
      "POST",
      "/members/state-digests/{memberId}:update",
      (c) => this.updateStateDigest(c),
      anyMember("state_digest"),
    );
    add(
      "POST",
      "/members/state-digests/{memberId}:ack",
      (c) => this.ackStateDigest(c),
      anyMember("ack"),
    );

    // Service state (service_state.h).
    add("GET", "/service/info", (c) => this.serviceInfo(c));
    add("GET", "/service/constitution", (c) => this.constitution(c));
    add("GET", "/service/members", (c) => this.members(c));
    add("GET", "/service/members/{memberId}", (c) => this.member(c));
    add("GET", "/service/users", (c) => this.users(c));
    add("GET", "/service/users/{userId}", (c) => this.user(c));
    add("GET", "/service/javascript-app", (c) => this.javascriptApp(c), { minVersion: 1 });
    for (const prefix of ["/service/javascript-modules", "/service/js-modules"]) {
      add("GET", prefix, (c) => this.modules(c), { minVersion: 1 });
      add("GET", `${prefix}/{moduleName}`, (c) => this.module(c), { minVersion: 1 });
    }
    add("GET", "/service/jwk", (c) => this.jwk(c));

    // Transactions (transactions.h): the exact path before the template.
    add("GET", "/service/transactions/commit", () => this.commitStatus());
    add("GET", "/service/transactions/{transactionId}", (c) => this.txStatus(c));
    return routes;
  }

  // ---- proposals (read side) -----------------------------------------------------------

  private listProposals(ctx: Context): HttpResponse {
    const value = ctx.gov
      .entries<ProposalInfo>(Tables.proposalsInfo)
      .map(([id, info]) => proposalView(id, info));
    return jsonResponse(200, { value });
  }

  /** A hex id path parameter (`proposalId`, `memberId`, `userId`), or CCF's 400. */
  private hexIdParam(ctx: Context, name: string, what: string): string | HttpResponse {
    const id = ctx.params[name]!;
    return isHexId(id)
      ? id
      : errorResponse(400, "InvalidResourceName", `'${id}' is not a valid hex-encoded ${what} ID`);
  }

  private proposalIdParam(ctx: Context): string | HttpResponse {
    return this.hexIdParam(ctx, "proposalId", "proposal");
  }

  private getProposal(ctx: Context): HttpResponse {
    const id = this.proposalIdParam(ctx);
    if (typeof id !== "string") return id;
    const info = ctx.gov.json<ProposalInfo>(Tables.proposalsInfo, id);
    if (!info) return errorResponse(404, "ProposalNotFound", `Could not find proposal ${id}.`);
    return jsonResponse(200, proposalView(id, info));
  }

  private getActions(ctx: Context): HttpResponse {
    const id = this.proposalIdParam(ctx);
    if (typeof id !== "string") return id;
    const proposal = ctx.gov.raw(Tables.proposals, id);
    if (!proposal) return errorResponse(404, "ProposalNotFound", `Could not find proposal ${id}.`);
    return { status: 200, headers: {}, body: Uint8Array.from(proposal) };
  }

  private getBallot(ctx: Context): HttpResponse {
    const id = this.proposalIdParam(ctx);
    if (typeof id !== "string") return id;
    const memberId = this.hexIdParam(ctx, "memberId", "member");
    if (typeof memberId !== "string") return memberId;
    const info = ctx.gov.json<ProposalInfo>(Tables.proposalsInfo, id);
    if (!info) return errorResponse(404, "ProposalNotFound", `Proposal ${id} does not exist.`);
    const ballot = info.ballots[memberId];
    if (ballot === undefined) {
      return errorResponse(
        404,
        "VoteNotFound",
        `Member ${memberId} has not voted for proposal ${id}.`,
      );
    }
    return javascript(ballot);
  }

  // ---- member activation -----------------------------------------------------------------

  private getStateDigest(ctx: Context): HttpResponse {
    const memberId = ctx.params["memberId"]!;
    const ack = ctx.gov.json<Ack>(Tables.membersAcks, memberId);
    if (!ack) {
      return errorResponse(404, "ResourceNotFound", `No ACK record exists for member ${memberId}.`);
    }
    return jsonResponse(200, { memberId, stateDigest: ack.state_digest });
  }

  /** The path's member must be the signer (acks.h). */
  private signerMismatch(ctx: Context): HttpResponse | undefined {
    const memberId = ctx.params["memberId"]!;
    const signer = ctx.identity!.memberId;
    if (memberId === signer) return undefined;
    return errorResponse(
      400,
      "InvalidAuthenticationInfo",
      `Member ID from path parameter (${memberId}) does not match member ID from body signature (${signer}).`,
    );
  }

  private updateStateDigest(ctx: Context): HttpResponse {
    const mismatch = this.signerMismatch(ctx);
    if (mismatch) return mismatch;
    const memberId = ctx.params["memberId"]!;
    const ack: Ack = ctx.gov.json<Ack>(Tables.membersAcks, memberId) ?? { state_digest: "" };
    // The digest is the Merkle root of the latest signature transaction (§4.5).
    const signature = ctx.gov.singleton<{ root?: unknown }>(Tables.signatures, SINGLETON_KEY);
    if (typeof signature?.root !== "string") {
      return errorResponse(
        500,
        "InternalError",
        "Service has no signatures to ack yet - try again soon.",
      );
    }
    ack.state_digest = signature.root;
    ctx.gov.setJson(Tables.membersAcks, memberId, ack);
    return jsonResponse(200, { memberId, stateDigest: ack.state_digest });
  }

  private ackStateDigest(ctx: Context): HttpResponse {
    const mismatch = this.signerMismatch(ctx);
    if (mismatch) return mismatch;
    const memberId = ctx.params["memberId"]!;
    const ack = ctx.gov.json<Ack>(Tables.membersAcks, memberId);
    if (!ack) {
      return errorResponse(
        403,
        "AuthorizationFailed",
        `No ACK record exists for member ${memberId}.`,
      );
    }
    let submitted: unknown;
    try {
      submitted = (
        JSON.parse(Buffer.from(ctx.identity!.payload).toString("utf8")) as {
          stateDigest?: unknown;
        }
      )?.stateDigest;
    } catch {
      submitted = undefined;
    }
    if (typeof submitted !== "string") {
      return errorResponse(
        400,
        "InvalidInput",
        'Signed request body is not a JSON object containing required string field "stateDigest"',
      );
    }
    if (submitted !== ack.state_digest) {
      return errorResponse(
        400,
        "StateDigestMismatch",
        `Submitted state digest is not valid.\nExpected\n ${ack.state_digest}\nReceived\n ${submitted}`,
      );
    }
    ack.cose_sign1_req = Buffer.from(ctx.identity!.envelope).toString("base64");
    ctx.gov.setJson(Tables.membersAcks, memberId, ack);
    const info = ctx.gov.json<MemberInfo>(Tables.membersInfo, memberId);
    if (!info) {
      return errorResponse(
        500,
        "InternalError",
        `Error activating member: ${memberId} is not a member`,
      );
    }
    if (info.status !== "Active") {
      info.status = "Active";
      ctx.gov.setJson(Tables.membersInfo, memberId, info);
    }
    return noContent();
  }

  // ---- service state -----------------------------------------------------------------------

  private serviceInfo(ctx: Context): HttpResponse {
    const info = ctx.gov.singleton<{
      status: string;
      cert: string;
      recovery_count?: number;
      current_service_create_txid?: string;
      service_data?: unknown;
    }>(Tables.serviceInfo, SINGLETON_KEY);
    if (!info) return errorResponse(404, "ResourceNotFound", "Service info not yet available");
    const body: Record<string, unknown> = {
      status: info.status,
      certificate: info.cert,
      recoveryCount: info.recovery_count ?? 0,
    };
    if (info.current_service_create_txid !== undefined) {
      body["creationTransactionId"] = info.current_service_create_txid;
    }
    body["serviceData"] = info.service_data ?? null;
    const config = ctx.gov.singleton<{
      recovery_threshold?: number;
      maximum_node_certificate_validity_days?: number;
      maximum_service_certificate_validity_days?: number;
      recent_cose_proposals_window_size?: number;
    }>(Tables.serviceConfig, SINGLETON_KEY);
    if (config) {
      body["configuration"] = {
        recoveryThreshold: config.recovery_threshold ?? 0,
        maximumNodeCertificateValidityDays: config.maximum_node_certificate_validity_days ?? 365,
        maximumServiceCertificateValidityDays:
          config.maximum_service_certificate_validity_days ?? 365,
        recentCoseProposalsWindowSize:
          config.recent_cose_proposals_window_size ?? DEFAULT_RECENT_PROPOSALS_WINDOW,
      };
    }
    return jsonResponse(200, body);
  }

  private constitution(ctx: Context): HttpResponse {
    const text = ctx.gov.singleton<unknown>(Tables.constitution, SINGLETON_KEY);
    if (typeof text !== "string") {
      return errorResponse(404, "ResourceNotFound", "Constitution not found");
    }
    return javascript(text);
  }

  private memberDescription(ctx: Context, memberId: string, info: MemberInfo): unknown {
    const member: Record<string, unknown> = {
      memberId,
      status: info.status,
      memberData: info.member_data ?? null,
    };
    const cert = ctx.gov.text(Tables.membersCerts, memberId);
    if (cert !== undefined) member["certificate"] = cert;
    const encryptionKey = ctx.gov.text(Tables.membersEncryptionKeys, memberId);
    if (encryptionKey !== undefined) member["publicEncryptionKey"] = encryptionKey;
    member["recoveryRole"] =
      info.recovery_role ?? (encryptionKey !== undefined ? "Participant" : "NonParticipant");
    return member;
  }

  private members(ctx: Context): HttpResponse {
    const value = ctx.gov
      .entries<MemberInfo>(Tables.membersInfo)
      .map(([id, info]) => this.memberDescription(ctx, id, info));
    return jsonResponse(200, { value });
  }

  private member(ctx: Context): HttpResponse {
    const memberId = this.hexIdParam(ctx, "memberId", "member");
    if (typeof memberId !== "string") return memberId;
    const info = ctx.gov.json<MemberInfo>(Tables.membersInfo, memberId);
    if (!info) return errorResponse(404, "ResourceNotFound", `Member ${memberId} does not exist.`);
    return jsonResponse(200, this.memberDescription(ctx, memberId, info));
  }

  private userDescription(ctx: Context, userId: string, cert: string): unknown {
    // CCF puts the whole users.info record (or null) under userData.
    return {
      userId,
      certificate: cert,
      userData: ctx.gov.json<unknown>(Tables.usersInfo, userId) ?? null,
    };
  }

  private users(ctx: Context): HttpResponse {
    const value = ctx.gov
      .keys(Tables.usersCerts)
      .map((id) => this.userDescription(ctx, id, ctx.gov.text(Tables.usersCerts, id)!));
    return jsonResponse(200, { value });
  }

  private user(ctx: Context): HttpResponse {
    const userId = this.hexIdParam(ctx, "userId", "user");
    if (typeof userId !== "string") return userId;
    const cert = ctx.gov.text(Tables.usersCerts, userId);
    if (cert === undefined) {
      return errorResponse(404, "ResourceNotFound", `User ${userId} does not exist.`);
    }
    return jsonResponse(200, this.userDescription(ctx, userId, cert));
  }

  private javascriptApp(ctx: Context): HttpResponse {
    const caseParam = new URLSearchParams(ctx.request.query).get("case");
    if (caseParam !== null && caseParam !== "original") {
      return errorResponse(
        400,
        "InvalidQueryParameterValue",
        "Accepted values for the 'case' query parameter are: original",
      );
    }
    const endpoints: Record<string, Record<string, unknown>> = {};
    for (const endpoint of readEndpoints(this.node.store.current)) {
      const p = endpoint.properties;
      const operation =
        caseParam === "original"
          ? p
          : {
              jsModule: p.js_module,
              jsFunction: p.js_function,
              forwardingRequired: p.forwarding_required,
              redirectionStrategy: p.redirection_strategy ?? "none",
              authnPolicies: p.authn_policies,
              mode: p.mode,
              openApi: p.openapi ?? {},
            };
      (endpoints[endpoint.path] ??= {})[endpoint.method.toLowerCase()] = operation;
    }
    return jsonResponse(200, { endpoints });
  }

  private modules(ctx: Context): HttpResponse {
    const value = ctx.gov.keys(Tables.modules).map((moduleName) => ({ moduleName }));
    return jsonResponse(200, { value });
  }

  private module(ctx: Context): HttpResponse {
    let name: string;
    try {
      name = decodeURIComponent(ctx.params["moduleName"]!);
    } catch {
      name = ctx.params["moduleName"]!;
    }
    const source = ctx.gov.json<unknown>(Tables.modules, name);
    if (typeof source !== "string") {
      return errorResponse(404, "ResourceNotFound", `Module ${name} does not exist.`);
    }
    return javascript(source);
  }

  private jwk(ctx: Context): HttpResponse {
    const issuers: Record<string, unknown> = {};
    for (const [issuer, metadata] of ctx.gov.entries<{
      auto_refresh?: boolean;
      ca_cert_bundle_name?: string;
    }>(Tables.jwtIssuers)) {
      const entry: Record<string, unknown> = { autoRefresh: metadata.auto_refresh === true };
      if (metadata.ca_cert_bundle_name !== undefined) {
        entry["caCertBundleName"] = metadata.ca_cert_bundle_name;
      }
      issuers[issuer] = entry;
    }
    const keys: Record<string, unknown> = {};
    for (const [kid, entries] of ctx.gov.entries<
      { public_key: string; issuer: string; constraint?: string }[]
    >(Tables.jwtKeys)) {
      keys[kid] = entries.map((entry) => ({
        publicKey: createPublicKey({
          key: Buffer.from(entry.public_key, "base64"),
          format: "der",
          type: "spki",
        }).export({ type: "spki", format: "pem" }),
        issuer: entry.issuer,
        constraint: entry.constraint ?? null,
      }));
    }
    const caCertBundles: Record<string, unknown> = {};
    for (const [name, bundle] of ctx.gov.entries<string>(Tables.caCertBundles)) {
      caCertBundles[name] = bundle;
    }
    return jsonResponse(200, { issuers, keys, caCertBundles });
  }

  // ---- transactions --------------------------------------------------------------------------

  private commitStatus(): HttpResponse {
    const id = this.node.services.lastCommittedTxId();
    return jsonResponse(200, {
      status: this.node.services.statusForTxId(id.view, id.seqno),
      transactionId: formatTxId(id),
    });
  }

  private txStatus(ctx: Context): HttpResponse {
    const text = ctx.params["transactionId"]!;
    const id = parseTxId(text);
    if (!id) {
      return errorResponse(
        400,
        "InvalidQueryParameterValue",
        `The value '${text}' passed as parameter 'transactionId' could not be converted to a valid Transaction ID.`,
      );
    }
    return jsonResponse(200, {
      status: this.node.services.statusForTxId(id.view, id.seqno),
      transactionId: formatTxId(id),
    });
  }
}
