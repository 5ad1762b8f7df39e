/**
 * A consortium on the sandbox serving the governance app, with its personas, for the governance
 * suites: members sign /gov proposals with their own keys; users and invitees call /app with
 * their certificates.
 */
import { join } from "node:path";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../sandbox/index.js";
import { newSelfSignedIdentity } from "../../sandbox/workspace.js";
import { Client, type Identity, type Reply, type RequestOptions } from "../support/client.js";
import { GovClient, idOf, member, type Member } from "../support/gov.js";

export interface Consortium {
  sandbox: Sandbox;
  client: Client;
  gov: GovClient;
  /** member0 (the operator), member1, … — all Active. */
  members: Member[];
  /** user0, user1, … — registered by `set_user` at start-up. */
  users: Identity[];
  logs: string[];
  /** Passes governance actions as an accepted proposal (member0 proposes, the others vote). */
  pass(actions: { name: string; args?: Record<string, unknown> }[]): Promise<void>;
  /** A request as `as` (undefined: anonymous). */
  call(
    as: Identity | undefined,
    path: string,
    options?: Omit<RequestOptions, "as">,
  ): Promise<Reply>;
  stop(): Promise<void>;
}

/**
 * The governance build to serve: the default one (`governance/build`), or the one named by
 * GOVERNANCE_BUILD (several builds can then coexist while people work in parallel).
 */
function governanceBuild(): Pick<SandboxOptions, "bundle" | "constitution"> {
  const dir = process.env["GOVERNANCE_BUILD"];
  if (!dir) return {};
  return {
    bundle: join(dir, "bundle.json"),
    constitution: [join(dir, "constitution_additions.js")],
  };
}

export async function startConsortium(
  options: SandboxOptions & { members?: number; users?: number } = {},
): Promise<Consortium> {
  const logs: string[] = [];
  const sandbox = await startSandbox({
    members: 1,
    users: 2,
    log: (line) => logs.push(line),
    ...governanceBuild(),
    ...options,
  });
  const client = new Client(sandbox.url, sandbox.serviceCertPem);
  const members = Array.from({ length: options.members ?? 1 }, (_, i) =>
    member(sandbox.workspace, `member${i}`),
  );
  const users = Array.from({ length: options.users ?? 2 }, (_, i) =>
    Client.identity(sandbox.workspace, `user${i}`),
  );
  return {
    sandbox,
    client,
    gov: new GovClient(client),
    members,
    users,
    logs,
    pass: (actions) => sandbox.applyActions(actions),
    call: (as, path, requestOptions = {}) => client.request(path, { ...requestOptions, as }),
    async stop() {
      client.close();
      await sandbox.stop();
    },
  };
}

/** A fresh identity (key and self-signed certificate) that the consortium does not know yet. */
export async function newIdentity(name: string): Promise<Identity> {
  const generated = await newSelfSignedIdentity(`CN=${name}`);
  return { cert: generated.certPem, key: generated.privateKeyPem };
}

/** Who takes part in a contract `acceptContract` passes. */
export interface ContractParticipant {
  identity: Identity;
  name: string;
  /** Default: "user". */
  kind?: "member" | "user";
}

/**
 * Passes `set_contract` for version 1.0 of `contractId` (execution consent on, logging and
 * telemetry off): the accepted contract most suites start from.
 */
export async function acceptContract(
  c: Consortium,
  contractId: string,
  participants: ContractParticipant[],
  policy: Record<string, unknown> = { measurements: ["00"], allowVirtual: true },
): Promise<void> {
  await c.pass([
    {
      name: "set_contract",
      args: {
        contractId,
        version: "1.0",
        document: {
          participants: participants.map((p) => ({
            id: idOf(p.identity.cert),
            kind: p.kind ?? "user",
            name: p.name,
          })),
          policy,
          consentDefaults: { execution: true, logging: false, telemetry: false },
        },
      },
    },
  ]);
}
