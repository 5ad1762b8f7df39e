import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump, JSON_SCHEMA } from "js-yaml";
import { identityId } from "../../client/identity.js";
import { CliHome, errorLines, pidAlive } from "./run.js";

interface Created {
  url: string;
  memberId: string;
  pid: number;
  workspace: string;
  serviceCert: string;
}

interface ContractShow {
  contractId: string;
  state: string;
  draftVersion: string | null;
  acceptedVersion: string | null;
  draftDiffers: boolean | null;
  proposalId: string | null;
  participants: { id: string; kind: string; name: string; profile: string | null }[];
  policy: { measurements: string[]; hostData?: string[]; allowVirtual: boolean };
  consent: { execution: boolean; logging: boolean; telemetry: boolean } | null;
}

interface Proposed {
  contractId: string;
  version: string;
  proposalId: string;
  proposalState: string;
}

interface Voted {
  proposalId: string;
  vote: string;
  proposalState: string;
  contractState: string;
}

interface ProposalShow {
  proposalId: string;
  state: string;
  proposer: string;
  ballotCount: number;
  ballots: { name: string; voted: boolean; ballot: string | null }[];
  finalVotes: Record<string, boolean> | null;
  actions: { name: string; args: Record<string, unknown>; summary: string }[];
}

const SNP_MEASUREMENT = "5f".repeat(48);
const HOST_DATA = "a1".repeat(32);

/**
 * A member profile for the workspace's member1, set up the way `profile create` lays one out
 * (the CLI has no command yet to adopt an existing key): profile.json, cert.pem, privk.pem
 * (0600) and the pinned service certificate.
 */
function adoptMember1(cli: CliHome, created: Created, name: string): string {
  const dir = join(cli.home, "profiles", name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPem = readFileSync(join(created.workspace, "member1_cert.pem"), "utf8");
  writeFileSync(join(dir, "cert.pem"), certPem);
  writeFileSync(
    join(dir, "privk.pem"),
    readFileSync(join(created.workspace, "member1_privk.pem"), "utf8"),
    { mode: 0o600 },
  );
  copyFileSync(created.serviceCert, join(dir, "service_cert.pem"));
  const id = identityId(certPem);
  writeFileSync(
    join(dir, "profile.json"),
    JSON.stringify({
      name,
      id,
      kind: "member",
      endpoint: created.url,
      serviceCert: "service_cert.pem",
      createdAt: new Date().toISOString(),
    }),
  );
  return id;
}

describe("cleanroom contract and proposal (two members, separate processes, a real sandbox)", function () {
  this.timeout(180_000);
  let cli: CliHome;
  let created: Created;
  let fabrikamId: string;
  let northwindId: string;
  let dir: string;

  before(async function () {
    cli = new CliHome();
    dir = join(cli.home, "files");
    mkdirSync(dir);
    created = await cli.json<Created>(["consortium", "create", "--port", "0", "--members", "2"]);
    fabrikamId = adoptMember1(cli, created, "fabrikam");
    const northwind = await cli.json<{ id: string }>([
      "profile",
      "create",
      "northwind",
      "--kind",
      "user",
      "--endpoint",
      created.url,
      "--service-cert",
      created.serviceCert,
    ]);
    northwindId = northwind.id;
  });

  after(async function () {
    if (created) {
      await cli.run(["consortium", "stop"]);
      if (pidAlive(created.pid)) process.kill(created.pid, "SIGKILL");
    }
    cli.remove();
  });

  it("the second member is a member of the consortium", async function () {
    const status = await cli.json<{ kind: string; id: string }>([
      "status",
      "--profile",
      "fabrikam",
    ]);
    assert.deepEqual([status.kind, status.id], ["member", fabrikamId]);
  });

  it("draft → propose → both vote → Accepted, with the policy in force", async function () {
    const saved = await cli.json<{ version: string; previousVersion: string | null }>([
      "contract",
      "create",
      "sales",
      "--participant",
      "operator=operator",
      "--participant",
      "fab=fabrikam",
      "--participant",
      "northwind",
      "--measurement",
      SNP_MEASUREMENT,
      "--measurement",
      "00",
      "--host-data",
      HOST_DATA,
      "--allow-virtual",
      "--audience",
      "api://storage",
      "--description",
      "Sales analytics",
    ]);
    assert.match(saved.version, /^\d+\.\d+$/);
    assert.equal(saved.previousVersion, null);

    const draft = await cli.json<ContractShow>(["contract", "show", "sales"]);
    assert.equal(draft.state, "Draft");
    assert.equal(draft.draftVersion, saved.version);
    assert.equal(draft.acceptedVersion, null);
    assert.deepEqual(
      draft.participants.map((p) => [p.name, p.kind, p.id, p.profile]),
      [
        ["operator", "member", created.memberId, "operator"],
        ["fab", "member", fabrikamId, "fabrikam"],
        ["northwind", "user", northwindId, "northwind"],
      ],
    );
    assert.deepEqual(draft.policy, {
      measurements: [SNP_MEASUREMENT, "00"],
      hostData: [HOST_DATA],
      allowVirtual: true,
    });
    assert.equal(draft.consent, null);

    // No policy is in force before acceptance.
    const early = await cli.run(["contract", "policy", "show", "sales"]);
    assert.equal(early.code, 1);
    assert.match(errorLines(early).error, /no accepted version yet \(it is Draft\)/);

    const proposed = await cli.json<Proposed>(["contract", "propose", "sales"]);
    assert.equal(proposed.version, saved.version);
    assert.equal(proposed.proposalState, "Open");
    assert.match(proposed.proposalId, /^[0-9a-f]{64}$/);

    // Proposing again while it is open: one line, pointing at the vote.
    const twice = await cli.run(["contract", "propose", "sales"]);
    assert.equal(twice.code, 1);
    assert.match(errorLines(twice).error, /already proposed/);
    assert.match(errorLines(twice).hint, /contract vote sales/);

    // The proposal as members see it: listed, and its action in words.
    const open = await cli.json<{ proposalId: string; actions: string[] }[]>([
      "proposal",
      "list",
      "--state",
      "Open",
    ]);
    assert.deepEqual(open, [
      {
        proposalId: proposed.proposalId,
        state: "Open",
        proposerId: created.memberId,
        proposer: "operator",
        ballotCount: 0,
        actions: ["set_contract"],
      },
    ]);
    const shownBefore = await cli.json<ProposalShow>([
      "proposal",
      "show",
      proposed.proposalId.slice(0, 8),
    ]);
    assert.equal(shownBefore.proposalId, proposed.proposalId);
    assert.equal(shownBefore.state, "Open");
    assert.equal(shownBefore.proposer, "operator");
    assert.equal(shownBefore.actions[0]!.name, "set_contract");
    assert.equal(shownBefore.actions[0]!.args["version"], saved.version);
    assert.match(
      shownBefore.actions[0]!.summary,
      /^set_contract sales version \S+: participants operator \(member\), fab \(member\), northwind \(user\); 2 measurements, 1 host data value; virtual attestation allowed$/,
    );
    assert.ok(shownBefore.ballots.every((b) => !b.voted));
    const human = await cli.run(["proposal", "show", proposed.proposalId]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /State: +Open/);
    assert.match(human.stdout, /set_contract sales version/);

    const contractProposed = await cli.json<ContractShow>(["contract", "show", "sales"]);
    assert.equal(contractProposed.state, "Proposed");
    assert.equal(contractProposed.proposalId, proposed.proposalId);

    // The operator votes: it stays open until every member is in favour.
    const first = await cli.json<Voted>(["contract", "vote", "sales", "--accept"]);
    assert.deepEqual(
      [first.proposalId, first.vote, first.proposalState, first.contractState],
      [proposed.proposalId, "for", "Open", "Proposed"],
    );
    const shownMid = await cli.json<ProposalShow>(["proposal", "show", proposed.proposalId]);
    assert.deepEqual(shownMid.ballots.map((b) => [b.name, b.voted, b.ballot]).sort(), [
      ["fabrikam", false, null],
      ["operator", true, "for"],
    ]);

    const second = await cli.json<Voted>([
      "contract",
      "vote",
      "sales",
      "--accept",
      "--profile",
      "fabrikam",
    ]);
    assert.deepEqual([second.proposalState, second.contractState], ["Accepted", "Accepted"]);

    const accepted = await cli.json<ContractShow>(["contract", "show", "sales"]);
    assert.equal(accepted.state, "Accepted");
    assert.equal(accepted.acceptedVersion, saved.version);
    assert.equal(accepted.draftDiffers, false);
    assert.deepEqual(accepted.consent, { execution: true, logging: false, telemetry: false });
    const text = await cli.run(["contract", "show", "sales"]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^Contract sales: Accepted\n/);
    assert.match(text.stdout, /fab — member, [0-9a-f]{12}…, profile fabrikam/);

    const policy = await cli.json<Record<string, unknown>>(["contract", "policy", "show", "sales"]);
    assert.deepEqual(policy, {
      contractId: "sales",
      version: saved.version,
      sequence: 1,
      measurements: [SNP_MEASUREMENT, "00"],
      hostData: [HOST_DATA],
      allowVirtual: true,
    });

    const closed = await cli.json<ProposalShow>(["proposal", "show", proposed.proposalId]);
    assert.equal(closed.state, "Accepted");
    assert.deepEqual(closed.finalVotes, { [created.memberId]: true, [fabrikamId]: true });

    // A vote on a closed proposal: one line and a hint.
    const late = await cli.run(["proposal", "vote", proposed.proposalId, "--reject"]);
    assert.equal(late.code, 1);
    assert.match(errorLines(late).error, /^ProposalNotOpen: /);

    const list = await cli.json<{ contractId: string; state: string }[]>([
      "contract",
      "list",
      "--state",
      "Accepted",
    ]);
    assert.deepEqual(
      list.map((c) => [c.contractId, c.state]),
      [["sales", "Accepted"]],
    );
  });

  it("a member's no rejects; a new draft version replaces the old one (read-modify-write)", async function () {
    const file = join(dir, "rejected.json");
    const document = {
      description: "Marketing",
      participants: [
        { id: created.memberId, kind: "member", name: "operator" },
        { id: northwindId, kind: "user", name: "northwind" },
      ],
      policy: { measurements: [SNP_MEASUREMENT], allowVirtual: false },
      consentDefaults: { execution: false, logging: false, telemetry: false },
    };
    writeFileSync(file, JSON.stringify(document));
    const saved = await cli.json<{ version: string }>([
      "contract",
      "create",
      "marketing",
      "--file",
      file,
    ]);
    const proposed = await cli.json<Proposed>(["contract", "propose", "marketing"]);
    const no = await cli.json<Voted>([
      "contract",
      "vote",
      "marketing",
      "--reject",
      "--profile",
      "fabrikam",
    ]);
    assert.deepEqual(
      [no.vote, no.proposalState, no.contractState],
      ["against", "Rejected", "Rejected"],
    );
    const shown = await cli.json<ContractShow>(["contract", "show", "marketing"]);
    assert.equal(shown.state, "Rejected");
    assert.equal(shown.acceptedVersion, null);
    assert.equal(shown.proposalId, proposed.proposalId);
    const rejected = await cli.json<{ contractId: string }[]>([
      "contract",
      "list",
      "--state",
      "Rejected",
    ]);
    assert.deepEqual(
      rejected.map((c) => c.contractId),
      ["marketing"],
    );
    const voteAgain = await cli.run(["contract", "vote", "marketing", "--accept"]);
    assert.equal(voteAgain.code, 1);
    assert.match(errorLines(voteAgain).error, /has no open proposal \(it is Rejected\)/);

    // Editing (now in YAML): without --draft-version the current draft is replaced...
    document.policy.allowVirtual = true;
    const yamlFile = join(dir, "marketing.yaml");
    writeFileSync(yamlFile, `# edited\n${dump(document, { schema: JSON_SCHEMA })}`);
    const edited = await cli.json<{ version: string; previousVersion: string }>([
      "contract",
      "create",
      "marketing",
      "--file",
      yamlFile,
    ]);
    assert.equal(edited.previousVersion, saved.version);
    assert.notEqual(edited.version, saved.version);
    const draft = await cli.json<ContractShow>(["contract", "show", "marketing"]);
    assert.deepEqual([draft.state, draft.policy.allowVirtual], ["Draft", true]);
    // ...and with a stale --draft-version it is refused, naming what to do.
    const stale = await cli.run([
      "contract",
      "create",
      "marketing",
      "--file",
      file,
      "--draft-version",
      saved.version,
    ]);
    assert.equal(stale.code, 1);
    assert.match(errorLines(stale).error, /^PreconditionFailed: /);
    assert.match(errorLines(stale).hint, /no longer version .*contract show marketing/);
  });

  it("the proposer withdraws a proposal with `proposal withdraw`; the contract is a Draft again", async function () {
    await cli.json([
      "contract",
      "create",
      "ops",
      "--participant",
      "operator=operator",
      "--measurement",
      "00",
    ]);
    const proposed = await cli.json<Proposed>(["contract", "propose", "ops"]);
    const notMine = await cli.run([
      "proposal",
      "withdraw",
      proposed.proposalId,
      "--profile",
      "fabrikam",
    ]);
    assert.equal(notMine.code, 1);
    assert.match(errorLines(notMine).hint, /only the member who proposed it/);
    const withdrawn = await cli.json<{ proposalState: string }>([
      "proposal",
      "withdraw",
      proposed.proposalId.slice(0, 10),
    ]);
    assert.equal(withdrawn.proposalState, "Withdrawn");
    assert.equal((await cli.json<ContractShow>(["contract", "show", "ops"])).state, "Draft");
  });

  it("`proposal vote` with a ballot module, on a proposal by prefix, as the second member", async function () {
    const proposed = await cli.json<Proposed>(["contract", "propose", "ops"]);
    const ballot = join(dir, "only-contracts.js");
    writeFileSync(
      ballot,
      "export function vote(proposal, proposerId) {\n" +
        '  return JSON.parse(proposal).actions.every((a) => a.name === "set_contract");\n' +
        "}\n",
    );
    const voted = await cli.json<{ proposalId: string; proposalState: string }>([
      "proposal",
      "vote",
      proposed.proposalId.slice(0, 6),
      "--ballot",
      ballot,
      "--profile",
      "fabrikam",
    ]);
    assert.equal(voted.proposalId, proposed.proposalId);
    assert.equal(voted.proposalState, "Accepted");
    assert.equal((await cli.json<ContractShow>(["contract", "show", "ops"])).state, "Accepted");
    const shown = await cli.json<ProposalShow>(["proposal", "show", proposed.proposalId]);
    assert.deepEqual(
      shown.ballots.filter((b) => b.voted).map((b) => [b.name, b.ballot]),
      [["fabrikam", "custom"]],
    );
  });

  it("bad input: one line naming the problem, exit 1", async function () {
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({
        participants: [{ id: created.memberId, kind: "member", name: "operator" }],
        policy: { measurements: ["5F"], allowVirtual: false },
        consentDefaults: { execution: true, logging: false, telemetry: false },
      }),
    );
    const refused = await cli.run(["contract", "create", "bad", "--file", bad]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, "");
    assert.equal(
      errorLines(refused).error,
      "invalid contract document: document.policy.measurements[0] must be lower-case hex with an even number of digits",
    );
    // Nothing was saved.
    const missing = await cli.run(["contract", "show", "bad"]);
    assert.equal(missing.code, 1);
    assert.match(errorLines(missing).error, /^ContractNotFound: /);

    // YAML is read like JSON and checked by the same validator, which names the field.
    writeFileSync(join(dir, "c.yaml"), "participants: []\n");
    const yaml = await cli.run(["contract", "create", "y", "--file", join(dir, "c.yaml")]);
    assert.equal(yaml.code, 1);
    assert.match(errorLines(yaml).error, /^invalid contract document: document\.participants /);
    assert.match(errorLines(yaml).hint, /c\.yaml/);
    // A syntax error names the file, line and column.
    writeFileSync(join(dir, "bad.yaml"), "participants:\n  - id: x\n   kind: user\n");
    const badYaml = await cli.run(["contract", "create", "y", "--file", join(dir, "bad.yaml")]);
    assert.equal(badYaml.code, 1);
    assert.match(errorLines(badYaml).error, /bad\.yaml:3:\d+: not valid YAML \(/);

    writeFileSync(join(dir, "broken.json"), '{\n  "participants": [] "policy": {}\n}');
    const broken = await cli.run(["contract", "create", "y", "--file", join(dir, "broken.json")]);
    assert.equal(broken.code, 1);
    assert.match(errorLines(broken).error, /broken\.json:2:\d+: not valid JSON/);

    const noMeasurement = await cli.run([
      "contract",
      "create",
      "y",
      "--participant",
      "operator=operator",
    ]);
    assert.equal(noMeasurement.code, 1);
    assert.match(errorLines(noMeasurement).error, /document\.policy\.measurements must have/);

    const unknown = await cli.run(["contract", "create", "y", "--participant", "x=nobody"]);
    assert.equal(unknown.code, 1);
    assert.match(errorLines(unknown).error, /'nobody' is neither a profile/);

    const badId = await cli.run(["contract", "show", "bad/id"]);
    assert.equal(badId.code, 1);
    assert.match(errorLines(badId).error, /^invalid contract id: /);

    const asUser = await cli.run(["contract", "propose", "sales", "--profile", "northwind"]);
    assert.equal(asUser.code, 1);
    assert.match(errorLines(asUser).error, /is a user: only members propose and vote/);

    const bothWays = await cli.run(["contract", "vote", "sales", "--accept", "--reject"]);
    assert.equal(bothWays.code, 1);
    assert.match(errorLines(bothWays).error, /one of --accept or --reject/);

    const ids = (await cli.json<{ proposalId: string }[]>(["proposal", "list"])).map(
      (p) => p.proposalId,
    );
    const prefix = ["ffff", "eeee", "dddd"].find((x) => !ids.some((id) => id.startsWith(x)))!;
    const noSuch = await cli.run(["proposal", "show", prefix]);
    assert.equal(noSuch.code, 1);
    assert.match(errorLines(noSuch).error, new RegExp(`no proposal id starts with '${prefix}'`));
  });
});
