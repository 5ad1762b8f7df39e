/**
 * Signed `/gov` requests from a sandbox workspace, the way CCF's tooling (`ccf_cose_sign1` piped
 * into curl with `--cacert service_cert.pem`) sends them: the body is a COSE Sign1 message signed
 * with the member's own key, and the TLS connection pins the service certificate.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { certificateId, signCoseSign1 } from "../../../client/cose.js";
import { UserError } from "../../errors.js";

export const GOV_API_VERSION = "2024-07-01";
export const DEFAULT_URL = "https://127.0.0.1:8000";

export interface WorkspaceMember {
  name: string;
  id: string;
  certPem: string;
  privateKeyPem: string;
}

/** The API's `Proposal`. */
export interface Proposal {
  proposalId: string;
  proposerId: string;
  proposalState: string;
  ballotCount: number;
  finalVotes?: Record<string, boolean>;
  voteFailures?: Record<string, { reason: string }>;
  failure?: { reason: string };
}

function readWorkspaceFile(workspace: string, file: string, what: string): string {
  const path = join(workspace, file);
  if (!existsSync(path)) {
    throw new UserError(
      `${path} not found: no ${what} in workspace ${workspace}`,
      "pass the --workspace the sandbox was started with",
      "WorkspaceFileMissing",
    );
  }
  return readFileSync(path, "utf8");
}

export function loadMember(workspace: string, name: string): WorkspaceMember {
  if (!/^member\d+$/.test(name)) {
    throw new UserError(`--member must look like member0, member1, …, not '${name}'`);
  }
  const certPem = readWorkspaceFile(workspace, `${name}_cert.pem`, `certificate for ${name}`);
  const privateKeyPem = readWorkspaceFile(
    workspace,
    `${name}_privk.pem`,
    `private key for ${name}`,
  );
  let id: string;
  try {
    id = certificateId(certPem);
  } catch {
    throw new UserError(`${join(workspace, `${name}_cert.pem`)} is not a PEM certificate`);
  }
  return { name, id, certPem, privateKeyPem };
}

export function loadServiceCert(workspace: string): string {
  return readWorkspaceFile(workspace, "service_cert.pem", "service certificate");
}

/** Member names of the workspace by id, to print votes by name. */
export function memberNames(workspace: string): Map<string, string> {
  const names = new Map<string, string>();
  let files: string[];
  try {
    files = readdirSync(workspace);
  } catch {
    return names;
  }
  for (const file of files) {
    const match = /^(member\d+)_cert\.pem$/.exec(file);
    if (!match) continue;
    try {
      names.set(certificateId(readFileSync(join(workspace, file), "utf8")), match[1]!);
    } catch {
      // Not a certificate: leave it out.
    }
  }
  return names;
}

export function signGovRequest(
  member: WorkspaceMember,
  type: string,
  payload: string,
  proposalId?: string,
): Uint8Array {
  const headers: Record<string, string | number> = {
    "ccf.gov.msg.type": type,
    "ccf.gov.msg.created_at": Math.floor(Date.now() / 1000),
  };
  if (proposalId !== undefined) headers["ccf.gov.msg.proposal_id"] = proposalId;
  try {
    return signCoseSign1({
      privateKeyPem: member.privateKeyPem,
      kid: member.id,
      protectedHeaders: headers,
      payload: Buffer.from(payload, "utf8"),
    });
  } catch (error) {
    throw new UserError(
      `cannot sign with ${member.name}'s key: ${(error as Error).message}`,
      `check ${member.name}_privk.pem in the workspace`,
      "BadMemberKey",
    );
  }
}

interface Reply {
  status: number;
  text: string;
}

function post(url: URL, ca: string, body: Uint8Array): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: "POST",
        ca,
        headers: { "content-type": "application/cose", "content-length": String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function connectionError(error: unknown, base: string): UserError {
  const code = (error as { code?: string }).code ?? "";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH") {
    return new UserError(
      `cannot reach the sandbox at ${base} (${code})`,
      "start it with `cleanroom sandbox start`, or pass --url",
      "Unreachable",
    );
  }
  if (/CERT|SELF_SIGNED|SIGNATURE|ERR_TLS/.test(code)) {
    return new UserError(
      `the server at ${base} is not the sandbox of this workspace (${code})`,
      "pass the --workspace and --url of the same sandbox",
      "WrongService",
    );
  }
  return new UserError(
    `request to ${base} failed: ${(error as Error).message}`,
    undefined,
    "RequestFailed",
  );
}

/** POSTs a signed body to `/gov<path>` and returns the parsed JSON, or throws a UserError. */
export async function sendSigned(
  base: string,
  serviceCertPem: string,
  path: string,
  body: Uint8Array,
): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(`/gov${path}?api-version=${GOV_API_VERSION}`, base);
  } catch {
    throw new UserError(`--url must be a URL such as ${DEFAULT_URL}, not '${base}'`);
  }
  if (url.protocol !== "https:")
    throw new UserError(`--url must be an https:// URL, not '${base}'`);
  let reply: Reply;
  try {
    reply = await post(url, serviceCertPem, body);
  } catch (error) {
    throw connectionError(error, base);
  }
  let parsed: unknown;
  try {
    parsed = reply.text ? JSON.parse(reply.text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (reply.status >= 200 && reply.status < 300) return parsed;
  const error = (
    parsed as {
      error?: { code?: string; message?: string; details?: { message?: string }[] };
    }
  )?.error;
  const code = error?.code ?? `HTTP${reply.status}`;
  const detail = error?.details?.[0]?.message;
  const message = detail ?? error?.message ?? (reply.text || `HTTP ${reply.status}`);
  throw new UserError(`${code}: ${message.split("\n").join(" ")}`, undefined, code);
}

/** One line for people: the proposal's id, state and votes. */
export function describeProposal(proposal: Proposal, names: Map<string, string>): string {
  const who = (id: string) => names.get(id) ?? id.slice(0, 12);
  const ballots = `${proposal.ballotCount} ballot${proposal.ballotCount === 1 ? "" : "s"}`;
  let line = `Proposal ${proposal.proposalId}: ${proposal.proposalState} (${ballots}`;
  const votes = Object.entries(proposal.finalVotes ?? {});
  if (votes.length > 0) {
    line += `; ${votes.map(([id, vote]) => `${who(id)} ${vote ? "for" : "against"}`).join(", ")}`;
  }
  line += ")";
  if (proposal.failure) line += ` — ${proposal.failure.reason}`;
  return line;
}
