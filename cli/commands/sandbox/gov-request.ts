/**
 * Signed `/gov` requests from a sandbox workspace, the way CCF's tooling (`ccf_cose_sign1` piped
 * into curl with `--cacert service_cert.pem`) sends them: the body is a COSE Sign1 message signed
 * with the member's own key, and the TLS connection pins the service certificate.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { certificateId } from "../../../client/cose.js";
import { GovClient, type Proposal as GovProposal } from "../../../client/governance/gov.js";
import { GovernanceError, Transport } from "../../../client/governance/transport.js";
import { UserError } from "../../errors.js";

export { GOV_API_VERSION } from "../../../client/governance/gov.js";
export const DEFAULT_URL = "https://127.0.0.1:8000";

export interface WorkspaceMember {
  name: string;
  id: string;
  certPem: string;
  privateKeyPem: string;
}

/** The API's `Proposal`. */
export type Proposal = GovProposal;

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

/** A /gov client signing as `member`, over HTTPS pinned to the workspace's service certificate. */
export function memberGovClient(
  base: string,
  serviceCertPem: string,
  member: WorkspaceMember,
): GovClient {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UserError(`--url must be a URL such as ${DEFAULT_URL}, not '${base}'`);
  }
  if (url.protocol !== "https:") {
    throw new UserError(`--url must be an https:// URL, not '${base}'`);
  }
  // Signed requests authenticate by their COSE signature: no client certificate is needed.
  // A person is waiting: one retry (of what cannot have run), then say so.
  const transport = new Transport({ url: base, serviceCertPem, retries: 1 });
  return new GovClient(transport, { certPem: member.certPem, privateKeyPem: member.privateKeyPem });
}

/** A GovernanceError from the client as the one-line UserError the sandbox commands print. */
function sandboxError(error: unknown, base: string, member: WorkspaceMember): unknown {
  if (!(error instanceof GovernanceError)) return error;
  switch (error.code) {
    case "Unreachable":
      return new UserError(
        `cannot reach the sandbox at ${base}`,
        "start it with `cleanroom sandbox start`, or pass --url",
        "Unreachable",
      );
    case "CertificateMismatch":
      return new UserError(
        `the server at ${base} is not the sandbox of this workspace`,
        "pass the --workspace and --url of the same sandbox",
        "WrongService",
      );
    case "InvalidSigningKey":
      return new UserError(
        `cannot sign with ${member.name}'s key`,
        `check ${member.name}_privk.pem in the workspace`,
        "BadMemberKey",
      );
  }
  if (error.status === 0) {
    return new UserError(`request to ${base} failed: ${error.message}`, undefined, error.code);
  }
  const message = error.detailMessage.split("\n").join(" ");
  return new UserError(`${error.code}: ${message}`, undefined, error.code);
}

/** Runs `action` with a member's /gov client, closing it after, with the sandbox's errors. */
export async function withMemberGov<T>(
  base: string,
  serviceCertPem: string,
  member: WorkspaceMember,
  action: (gov: GovClient) => Promise<T>,
): Promise<T> {
  const gov = memberGovClient(base, serviceCertPem, member);
  try {
    return await action(gov);
  } catch (error) {
    throw sandboxError(error, base, member);
  } finally {
    gov.transport.close();
  }
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
