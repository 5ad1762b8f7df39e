/**
 * CCF governance over HTTPS: the `/gov` API (2024-07-01) with COSE Sign1 requests signed by
 * separate member keys, the proposal pipeline (validate → ballots → resolve → apply), member
 * activation, start-up through governance, and `cleanroom sandbox propose|vote`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Encoder } from "cbor-x";
import { newSelfSignedIdentity } from "../../sandbox/workspace.js";
import { CLI } from "../support/cli.js";
import { startFixture, type FixtureSandbox } from "../support/fixture.js";
import {
  GovClient,
  ballotFor,
  errorOf,
  idOf,
  member,
  type Member,
  type Proposal,
} from "../support/gov.js";

const run = promisify(execFile);
const HEX64 = /^[0-9a-f]{64}$/;
const now = () => Math.floor(Date.now() / 1000);
const randomId = () => randomBytes(32).toString("hex");

async function stranger(name: string): Promise<Member> {
  const identity = await newSelfSignedIdentity(`CN=${name}`);
  return { cert: identity.certPem, key: identity.privateKeyPem, id: idOf(identity.certPem) };
}

describe("sandbox: governance (/gov)", function () {
  this.timeout(60_000);

  describe("a consortium of three members", () => {
    let f: FixtureSandbox;
    let gov: GovClient;
    let m0: Member, m1: Member, m2: Member;

    before(async () => {
      f = await startFixture({ members: 3, users: 1 });
      gov = new GovClient(f.client);
      [m0, m1, m2] = ["member0", "member1", "member2"].map((n) =>
        member(f.sandbox.workspace, n),
      ) as [Member, Member, Member];
    });
    after(async () => f?.stop());

    /** Proposes set_member_data for member2: harmless, and its effect is easy to read back. */
    const propose = async (data: unknown, by: Member = m0): Promise<Proposal> => {
      const reply = await gov.propose(by, [
        { name: "set_member_data", args: { member_id: m2.id, member_data: data } },
      ]);
      assert.equal(reply.status, 200, reply.text);
      return reply.json<Proposal>();
    };
    const memberData = async (id: string) =>
      (await gov.get(`/service/members/${id}`)).json<{ memberData: unknown }>().memberData;

    describe("start-up through governance", () => {
      it("acked every member, deployed the bundle, added the users and opened the service", async () => {
        const info = await gov.get("/service/info");
        assert.equal(info.status, 200);
        const body = info.json<Record<string, unknown>>();
        assert.equal(body["status"], "Open");
        assert.equal(body["certificate"], f.sandbox.serviceCertPem);
        assert.deepEqual(
          (body["configuration"] as Record<string, unknown>)["recentCoseProposalsWindowSize"],
          100,
        );

        const members = (await gov.get("/service/members")).json<{
          value: { memberId: string; status: string; certificate: string; recoveryRole: string }[];
        }>().value;
        assert.deepEqual(members.map((m) => m.memberId).sort(), [m0.id, m1.id, m2.id].sort());
        for (const m of members) {
          assert.equal(m.status, "Active");
          assert.equal(m.recoveryRole, "NonParticipant");
        }
        assert.equal(members.find((m) => m.memberId === m1.id)!.certificate, m1.cert);

        const users = (await gov.get("/service/users")).json<{ value: { userId: string }[] }>();
        assert.deepEqual(
          users.value.map((u) => u.userId),
          [member(f.sandbox.workspace, "user0").id],
        );

        const app = (await gov.get("/service/javascript-app")).json<{
          endpoints: Record<string, Record<string, { jsFunction: string; mode: string }>>;
        }>();
        assert.equal(app.endpoints["/kv/{table}/{key}"]!["put"]!.jsFunction, "put");
        assert.equal(app.endpoints["/kv/{table}/{key}"]!["get"]!.mode, "readonly");
        const modules = (await gov.get("/service/javascript-modules")).json<{
          value: { moduleName: string }[];
        }>();
        assert.ok(modules.value.some((m) => m.moduleName.endsWith("endpoints/kv.js")));

        const constitution = await gov.get("/service/constitution");
        assert.equal(constitution.headers["content-type"], "text/javascript");
        assert.match(constitution.text, /export function resolve/);

        // Only the newest closed proposal is kept: the one that opened the service.
        const proposals = await gov.proposals();
        assert.equal(proposals.length, 1);
        assert.equal(proposals[0]!.proposalState, "Accepted");
        assert.equal(proposals[0]!.proposerId, m0.id);
        const actions = (
          await gov.get(`/members/proposals/${proposals[0]!.proposalId}/actions`)
        ).json<{ actions: { name: string }[] }>();
        assert.deepEqual(
          actions.actions.map((a) => a.name),
          ["transition_service_to_open"],
        );
      });
    });

    describe("proposals and ballots", () => {
      it("accepts once a majority is for it: the proposer and one ballot", async () => {
        const created = await propose({ role: "auditor" });
        assert.match(created.proposalId, HEX64);
        assert.equal(created.proposerId, m0.id);
        assert.equal(created.proposalState, "Open");
        assert.equal(created.ballotCount, 0);
        assert.equal(created.finalVotes, undefined);
        assert.notDeepEqual(await memberData(m2.id), { role: "auditor" });

        const actions = await gov.get(`/members/proposals/${created.proposalId}/actions`);
        assert.deepEqual(JSON.parse(actions.text), {
          actions: [
            {
              name: "set_member_data",
              args: { member_id: m2.id, member_data: { role: "auditor" } },
            },
          ],
        });

        const ballotBody = gov.sign(
          m1,
          "ballot",
          { ballot: ballotFor },
          { proposalId: created.proposalId },
        );
        const voted = await gov.post(
          `/members/proposals/${created.proposalId}/ballots/${m1.id}:submit`,
          ballotBody,
        );
        assert.equal(voted.status, 200, voted.text);
        const accepted = voted.json<Proposal>();
        assert.equal(accepted.proposalState, "Accepted");
        assert.equal(accepted.ballotCount, 1);
        assert.deepEqual(accepted.finalVotes, { [m1.id]: true });
        assert.deepEqual(accepted.voteFailures, {});
        assert.deepEqual(await memberData(m2.id), { role: "auditor" });

        const ballot = await gov.get(`/members/proposals/${created.proposalId}/ballots/${m1.id}`);
        assert.equal(ballot.status, 200);
        assert.equal(ballot.headers["content-type"], "text/javascript");
        assert.equal(ballot.text, ballotFor);
        // The latest signed request of each member is kept in public:ccf.gov.cose_history.
        const history = await f.client.request(`/app/kv/public:ccf.gov.cose_history/${m1.id}`, {
          as: f.user0,
        });
        assert.equal(JSON.parse(history.text), Buffer.from(ballotBody).toString("base64"));

        const none = await gov.get(`/members/proposals/${created.proposalId}/ballots/${m2.id}`);
        assert.equal(none.status, 404);
        assert.equal(errorOf(none).code, "VoteNotFound");

        const again = await gov.vote(m2, created.proposalId, true);
        assert.equal(again.status, 400);
        assert.equal(errorOf(again).code, "ProposalNotOpen");
      });

      it("rejects once a majority is against it, and keeps only the newest closed proposal", async () => {
        const before = await memberData(m2.id);
        const first = (await gov.proposals()).find((p) => p.proposalState === "Accepted")!;
        const created = await propose({ role: "intruder" });

        const one = (await gov.vote(m1, created.proposalId, false)).json<Proposal>();
        assert.equal(one.proposalState, "Open");
        assert.equal(one.ballotCount, 1);
        const two = await gov.vote(m2, created.proposalId, false);
        assert.equal(two.status, 200, two.text);
        const rejected = two.json<Proposal>();
        assert.equal(rejected.proposalState, "Rejected");
        assert.deepEqual(rejected.finalVotes, { [m1.id]: false, [m2.id]: false });
        assert.deepEqual(await memberData(m2.id), before);

        const gone = await gov.proposal(first.proposalId);
        assert.equal(gone.status, 404);
        assert.equal(errorOf(gone).code, "ProposalNotFound");
        assert.equal(
          (await gov.proposal(created.proposalId)).json<Proposal>().proposalState,
          "Rejected",
        );
      });

      it("lets only the proposer withdraw, idempotently; unknown ids give 204", async () => {
        const created = await propose({ role: "withdrawn" });
        const byOther = await gov.withdraw(m1, created.proposalId);
        assert.equal(byOther.status, 403);
        assert.equal(errorOf(byOther).code, "AuthorizationFailed");

        const withdrawn = await gov.withdraw(m0, created.proposalId);
        assert.equal(withdrawn.status, 200, withdrawn.text);
        assert.equal(withdrawn.json<Proposal>().proposalState, "Withdrawn");
        const twice = await gov.withdraw(m0, created.proposalId);
        assert.equal(twice.status, 200);
        assert.equal(twice.json<Proposal>().proposalState, "Withdrawn");

        const late = await gov.vote(m1, created.proposalId, true);
        assert.equal(late.status, 400);
        assert.equal(errorOf(late).code, "ProposalNotOpen");
        assert.notDeepEqual(await memberData(m2.id), { role: "withdrawn" });

        const unknown = await gov.withdraw(m0, randomId());
        assert.equal(unknown.status, 204);
      });

      it("keeps one ballot per member: the same again is idempotent, a different one refused", async () => {
        const created = await propose({ role: "ballots" });
        assert.equal(
          (await gov.vote(m2, created.proposalId, false)).json<Proposal>().ballotCount,
          1,
        );
        const same = await gov.vote(m2, created.proposalId, false);
        assert.equal(same.status, 200);
        assert.equal(same.json<Proposal>().ballotCount, 1);
        const different = await gov.vote(m2, created.proposalId, true);
        assert.equal(different.status, 400);
        assert.equal(errorOf(different).code, "VoteAlreadyExists");
        assert.equal((await gov.withdraw(m0, created.proposalId)).status, 200);
      });

      it("runs ballots read-only on the proposal: failures go to voteFailures, the rest count", async () => {
        const created = await propose({ role: "failures" });
        // Ballots may read governance tables but not write them.
        const writing =
          'export function vote() { ccf.kv["public:ccf.gov.members.info"].clear(); return true; }';
        const first = await gov.vote(m1, created.proposalId, writing);
        assert.equal(first.json<Proposal>().proposalState, "Open");
        // A ballot sees the proposal and the proposer's id.
        const inspecting = `export function vote(proposal, proposerId) {
  return JSON.parse(proposal).actions[0].name === "set_member_data" && proposerId === "${m0.id}";
}`;
        const second = (await gov.vote(m2, created.proposalId, inspecting)).json<Proposal>();
        assert.equal(second.proposalState, "Accepted");
        assert.deepEqual(second.finalVotes, { [m2.id]: true });
        assert.match(second.voteFailures![m1.id]!.reason, /read-only governance/);
        assert.deepEqual(await memberData(m2.id), { role: "failures" });
        assert.equal(
          (await gov.get("/service/members")).json<{ value: unknown[] }>().value.length,
          3,
        );
      });

      it("refuses a proposal that fails validation, and stores nothing", async () => {
        const count = (await gov.proposals()).length;
        const unknown = await gov.propose(m0, [{ name: "no_such_action", args: {} }]);
        assert.equal(unknown.status, 400);
        assert.equal(errorOf(unknown).code, "ProposalFailedToValidate");
        assert.match(errorOf(unknown).message, /no_such_action: no such action/);
        const badArgs = await gov.propose(m0, [{ name: "set_user", args: { cert: "nope" } }]);
        assert.equal(badArgs.status, 400);
        assert.match(errorOf(badArgs).message, /cert must be a valid X509 certificate/);
        assert.equal((await gov.proposals()).length, count);
      });

      it("answers ProposalNotFound and InvalidResourceName for unknown and malformed ids", async () => {
        const id = randomId();
        const get = await gov.proposal(id);
        assert.equal(get.status, 404);
        assert.equal(errorOf(get).code, "ProposalNotFound");
        const vote = await gov.vote(m1, id, true);
        assert.equal(vote.status, 404);
        assert.equal(errorOf(vote).code, "ProposalNotFound");
        const bad = await gov.proposal("not-an-id");
        assert.equal(bad.status, 400);
        assert.equal(errorOf(bad).code, "InvalidResourceName");
      });

      it("discards the whole transaction when apply fails: 500, the ballot not recorded", async () => {
        const missing = randomId();
        const reply = await gov.propose(m0, [
          { name: "set_member_data", args: { member_id: missing, member_data: {} } },
        ]);
        const created = reply.json<Proposal>();
        assert.equal(created.proposalState, "Open");

        const failed = await gov.vote(m1, created.proposalId, true);
        assert.equal(failed.status, 500);
        assert.equal(errorOf(failed).code, "InternalError");
        assert.match(errorOf(failed).message, /Failed to apply\(\).*does not exist/);

        const after = (await gov.proposal(created.proposalId)).json<Proposal>();
        assert.equal(after.proposalState, "Open");
        assert.equal(after.ballotCount, 0);
        assert.equal(
          (await gov.get(`/members/proposals/${created.proposalId}/ballots/${m1.id}`)).status,
          404,
        );
        assert.equal((await gov.withdraw(m0, created.proposalId)).status, 200);
      });

      it("set_constitution replaces the constitution and drops the other open proposals", async () => {
        const pending = await propose({ role: "pending" });
        const current = (await gov.get("/service/constitution")).text;
        const next = `${current}\n// revision 2\n`;
        const change = (
          await gov.propose(m0, [{ name: "set_constitution", args: { constitution: next } }])
        ).json<Proposal>();
        const accepted = (await gov.vote(m1, change.proposalId, true)).json<Proposal>();
        assert.equal(accepted.proposalState, "Accepted");
        assert.equal((await gov.get("/service/constitution")).text, next);
        const dropped = (await gov.proposal(pending.proposalId)).json<Proposal>();
        assert.equal(dropped.proposalState, "Dropped");
        const late = await gov.vote(m1, pending.proposalId, true);
        assert.equal(errorOf(late).code, "ProposalNotOpen");
      });
    });

    describe("COSE Sign1 checks", () => {
      const refusal = (reply: Awaited<ReturnType<GovClient["get"]>>) => {
        assert.equal(reply.status, 401, reply.text);
        assert.equal(reply.headers["www-authenticate"], 'COSE-SIGN1 realm="Signed request access"');
        const error = errorOf(reply);
        assert.equal(error.code, "InvalidAuthenticationInfo");
        return error.details![0]!.message;
      };
      const create = (body: Uint8Array, contentType?: string) =>
        gov.post("/members/proposals:create", body, contentType);
      const proposalBody = { actions: [{ name: "remove_js_app" }] };

      it("refuses a bad signature, an unknown signer and a stranger using a member's kid", async () => {
        const count = (await gov.proposals()).length;
        const body = gov.sign(m0, "proposal", proposalBody);
        const tampered = Uint8Array.from(body);
        tampered[tampered.length - 1]! ^= 0x01;
        assert.equal(refusal(await create(tampered)), "Failed to validate COSE Sign1");

        const outsider = await stranger("outsider");
        assert.equal(
          refusal(await create(gov.sign(outsider, "proposal", proposalBody))),
          "Signer is not a known member",
        );
        assert.equal(
          refusal(await create(gov.sign(outsider, "proposal", proposalBody, { kid: m0.id }))),
          "Failed to validate COSE Sign1",
        );
        assert.equal((await gov.proposals()).length, count);
      });

      it("refuses a wrong or missing message type, a missing created_at and a bad envelope", async () => {
        assert.equal(
          refusal(await create(gov.sign(m0, "ballot", proposalBody))),
          "Found ccf.gov.msg.type set to ballot, expected ccf.gov.msg.type to be proposal",
        );
        assert.equal(
          refusal(await create(gov.sign(m0, "proposal", proposalBody, { type: null }))),
          "Missing ccf.gov.msg.type, expected ccf.gov.msg.type to be proposal",
        );
        assert.match(
          refusal(await create(gov.sign(m0, "proposal", proposalBody, { createdAt: null }))),
          /ccf\.gov\.msg\.created_at/,
        );
        assert.match(
          refusal(await create(gov.sign(m0, "proposal", proposalBody, { createdAt: -1 }))),
          /created_at/,
        );
        assert.equal(
          refusal(await create(gov.sign(m0, "proposal", proposalBody), "application/json")),
          "Content type is not set to application/cose",
        );
        const untagged = new Encoder({ tagUint8Array: false }).encode([
          new Uint8Array(0),
          new Map(),
          new Uint8Array(0),
          new Uint8Array(0),
        ]);
        assert.equal(refusal(await create(untagged)), "COSE_Sign1 is not tagged");
      });

      it("refuses a replayed proposal, one created too long ago, and a created_at too large", async () => {
        const body = gov.sign(m0, "proposal", proposalBody);
        const first = await create(body);
        assert.equal(first.status, 200, first.text);
        const id = first.json<Proposal>().proposalId;
        const replay = await create(body);
        assert.equal(replay.status, 400);
        assert.equal(errorOf(replay).code, "ProposalReplay");
        assert.match(errorOf(replay).message, new RegExp(id));
        assert.equal((await gov.withdraw(m0, id)).status, 200);

        const old = await create(
          gov.sign(m0, "proposal", proposalBody, { createdAt: now() - 86_400 }),
        );
        assert.equal(old.status, 400);
        assert.equal(errorOf(old).code, "ProposalCreatedTooLongAgo");

        const future = await create(
          gov.sign(m0, "proposal", proposalBody, { createdAt: 10_000_000_000 }),
        );
        assert.equal(future.status, 400);
        assert.equal(errorOf(future).code, "InvalidCreatedAt");
      });

      it("requires the signed proposal id to match the URL, and the signer to match the ballot's member", async () => {
        const created = await propose({ role: "ids" });
        const other = randomId();
        const mismatch = await gov.post(
          `/members/proposals/${created.proposalId}/ballots/${m1.id}:submit`,
          gov.sign(m1, "ballot", { ballot: ballotFor }, { proposalId: other }),
        );
        assert.equal(mismatch.status, 400);
        assert.equal(errorOf(mismatch).code, "InvalidResourceName");
        assert.equal(errorOf(mismatch).message, "Authenticated proposal id does not match URL");

        const missing = await gov.post(
          `/members/proposals/${created.proposalId}/ballots/${m1.id}:submit`,
          gov.sign(m1, "ballot", { ballot: ballotFor }),
        );
        assert.equal(errorOf(missing).code, "InvalidResourceName");

        const otherMember = await gov.post(
          `/members/proposals/${created.proposalId}/ballots/${m2.id}:submit`,
          gov.sign(m1, "ballot", { ballot: ballotFor }, { proposalId: created.proposalId }),
        );
        assert.equal(otherMember.status, 400);
        assert.equal(errorOf(otherMember).message, "Authenticated member id does not match URL");

        const withdrawal = await gov.post(
          `/members/proposals/${created.proposalId}:withdraw`,
          gov.sign(m0, "withdrawal", "", { proposalId: other }),
        );
        assert.equal(errorOf(withdrawal).code, "InvalidResourceName");
        assert.equal((await gov.proposal(created.proposalId)).json<Proposal>().ballotCount, 0);
        assert.equal((await gov.withdraw(m0, created.proposalId)).status, 200);
      });
    });

    describe("api-version and service state", () => {
      it("requires a known api-version", async () => {
        const missing = await gov.get("/service/info", "");
        assert.equal(missing.status, 400);
        assert.equal(errorOf(missing).code, "MissingApiVersionParameter");
        const unknown = await gov.get("/service/info", "api-version=2099-01-01");
        assert.equal(unknown.status, 400);
        assert.equal(errorOf(unknown).code, "UnsupportedApiVersionValue");
        assert.match(errorOf(unknown).message, /2024-07-01/);
        assert.equal(
          (await gov.get("/service/info", "api-version=2023-06-01-preview")).status,
          200,
        );
        const signed = await gov.post(
          "/members/proposals:create",
          gov.sign(m0, "proposal", { actions: [] }),
          undefined,
          "",
        );
        assert.equal(errorOf(signed).code, "MissingApiVersionParameter");
        const nowhere = await gov.get("/nowhere");
        assert.equal(nowhere.status, 404);
      });

      it("reports transactions, JWT issuers and single members and users", async () => {
        const commit = (await gov.get("/service/transactions/commit")).json<{
          transactionId: string;
          status: string;
        }>();
        assert.match(commit.transactionId, /^\d+\.\d+$/);
        const status = (await gov.get(`/service/transactions/${commit.transactionId}`)).json<{
          status: string;
          transactionId: string;
        }>();
        assert.equal(status.transactionId, commit.transactionId);
        assert.equal(status.status, commit.status);
        const bad = await gov.get("/service/transactions/nope");
        assert.equal(bad.status, 400);
        assert.equal(errorOf(bad).code, "InvalidQueryParameterValue");

        assert.deepEqual((await gov.get("/service/jwk")).json(), {
          issuers: {},
          keys: {},
          caCertBundles: {},
        });
        const one = (await gov.get(`/service/members/${m1.id}`)).json<{ memberId: string }>();
        assert.equal(one.memberId, m1.id);
        assert.equal((await gov.get(`/service/members/${randomId()}`)).status, 404);
        const user0 = member(f.sandbox.workspace, "user0");
        const user = (await gov.get(`/service/users/${user0.id}`)).json<{ certificate: string }>();
        assert.equal(user.certificate, user0.cert);
      });
    });

    describe("cleanroom sandbox propose | vote", () => {
      const cli = (...args: string[]) =>
        run(process.execPath, [
          CLI,
          "sandbox",
          ...args,
          "--workspace",
          f.sandbox.workspace,
          "--url",
          f.sandbox.url,
        ]);
      let dir: string;
      before(() => {
        dir = mkdtempSync(join(tmpdir(), "cleanroom-gov-"));
      });
      after(() => rmSync(dir, { recursive: true, force: true }));

      it("signs a proposal file as member0 and a ballot as member1, over pinned HTTPS", async () => {
        const file = join(dir, "proposal.json");
        writeFileSync(
          file,
          JSON.stringify({
            actions: [
              { name: "set_member_data", args: { member_id: m2.id, member_data: { by: "cli" } } },
            ],
          }),
        );
        const proposed = await cli("propose", file, "--json");
        const proposal = JSON.parse(proposed.stdout) as Proposal;
        assert.equal(proposal.proposalState, "Open");
        assert.equal(proposal.proposerId, m0.id);

        const voted = await cli("vote", proposal.proposalId, "--accept", "--member", "member1");
        assert.match(
          voted.stdout,
          new RegExp(`Proposal ${proposal.proposalId}: Accepted \\(1 ballot; member1 for\\)`),
        );
        assert.deepEqual(await memberData(m2.id), { by: "cli" });
      });

      it("explains refusals in one line and exits 1", async () => {
        const file = join(dir, "bad.json");
        writeFileSync(file, JSON.stringify({ actions: [{ name: "no_such_action" }] }));
        await assert.rejects(cli("propose", file), (error: { code: number; stderr: string }) => {
          assert.equal(error.code, 1);
          assert.match(
            error.stderr,
            /^error: ProposalFailedToValidate: Proposal failed to validate: .*no such action\n$/,
          );
          return true;
        });
        await assert.rejects(
          cli("vote", randomId(), "--accept", "--member", "member7"),
          (error: { code: number; stderr: string }) => {
            assert.equal(error.code, 1);
            assert.match(error.stderr, /member7_cert\.pem not found/);
            return true;
          },
        );
        await assert.rejects(
          cli("vote", "abc", "--accept"),
          (error: { code: number; stderr: string }) => {
            assert.match(error.stderr, /'abc' is not a proposal id/);
            return true;
          },
        );
        const help = await run(process.execPath, [CLI, "sandbox", "vote", "--help"]);
        assert.match(help.stdout, /Examples:/);
        assert.match(help.stdout, /--reject/);
      });
    });
  });

  describe("a single-member consortium with constitution additions", () => {
    let f: FixtureSandbox;
    let gov: GovClient;
    let m0: Member;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "cleanroom-constitution-"));
      const addition = join(dir, "greetings.js");
      writeFileSync(
        addition,
        `actions.set("set_greeting", {
  validate(args) { checkType(args, "object", "args"); checkType(args.text, "string", "text"); },
  apply(args) { ccf.kv["public:greetings"].set(ccf.strToBuf("hello"), ccf.strToBuf(args.text)); },
});
`,
      );
      f = await startFixture({ members: 1, users: 1, constitution: [addition] });
      gov = new GovClient(f.client);
      m0 = member(f.sandbox.workspace, "member0");
    });
    after(async () => {
      await f?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("accepts its member's proposal at creation, running an action the addition registered", async () => {
      const reply = await gov.propose(m0, [{ name: "set_greeting", args: { text: "bonjour" } }]);
      assert.equal(reply.status, 200, reply.text);
      const proposal = reply.json<Proposal>();
      assert.equal(proposal.proposalState, "Accepted");
      assert.equal(proposal.ballotCount, 0);
      assert.deepEqual(proposal.finalVotes, {});
      const read = await f.client.request("/app/kv/public:greetings/hello", { as: f.user0 });
      assert.equal(read.status, 200);
      assert.equal(read.text, "bonjour");
      const refused = await gov.propose(m0, [{ name: "set_greeting", args: { text: 42 } }]);
      assert.equal(errorOf(refused).code, "ProposalFailedToValidate");

      // A proposal that fails to apply at creation leaves nothing behind.
      const before = await gov.proposals();
      const failed = await gov.propose(m0, [
        { name: "set_member_data", args: { member_id: randomId(), member_data: {} } },
      ]);
      assert.equal(failed.status, 500);
      assert.match(errorOf(failed).message, /Failed to apply\(\)/);
      assert.deepEqual(await gov.proposals(), before);
    });

    /** m0 proposes; the other active members vote for it until it leaves Open. */
    const others: Member[] = [];
    const pass = async (actions: unknown[]): Promise<Proposal> => {
      let proposal = (await gov.propose(m0, actions)).json<Proposal>();
      for (const voter of others) {
        if (proposal.proposalState !== "Open") break;
        proposal = (await gov.vote(voter, proposal.proposalId, true)).json<Proposal>();
      }
      return proposal;
    };
    const status = async (id: string) =>
      (await gov.get(`/service/members/${id}`)).json<{ status: string }>().status;

    it("activates a new member that acks, with its own key, the digest set_member recorded", async () => {
      const newcomer = await stranger("newcomer");
      const added = await pass([
        { name: "set_member", args: { cert: newcomer.cert, member_data: { org: "B" } } },
      ]);
      assert.equal(added.proposalState, "Accepted");
      const described = (await gov.get(`/service/members/${newcomer.id}`)).json<{
        status: string;
        memberData: unknown;
      }>();
      assert.equal(described.status, "Accepted");
      assert.deepEqual(described.memberData, { org: "B" });

      // Not active yet: cannot propose or vote.
      const early = await gov.propose(newcomer, [{ name: "remove_js_app" }]);
      assert.equal(early.status, 401);
      assert.equal(errorOf(early).details![0]!.message, "Signer is not an ACTIVE member");

      const digest = (await gov.get(`/members/state-digests/${newcomer.id}`)).json<{
        memberId: string;
        stateDigest: string;
      }>();
      assert.equal(digest.memberId, newcomer.id);
      const ackPath = `/members/state-digests/${newcomer.id}:ack`;

      const forSomeoneElse = await gov.post(
        ackPath,
        gov.sign(m0, "ack", { stateDigest: digest.stateDigest }),
      );
      assert.equal(forSomeoneElse.status, 400);
      assert.equal(errorOf(forSomeoneElse).code, "InvalidAuthenticationInfo");
      const outsider = await stranger("outsider");
      const unknown = await gov.post(ackPath, gov.sign(outsider, "ack", { stateDigest: "" }));
      assert.equal(unknown.status, 401);
      const wrong = await gov.post(
        ackPath,
        gov.sign(newcomer, "ack", { stateDigest: "00".repeat(32) }),
      );
      assert.equal(wrong.status, 400);
      assert.equal(errorOf(wrong).code, "StateDigestMismatch");
      assert.equal(await status(newcomer.id), "Accepted");

      const ack = await gov.post(
        ackPath,
        gov.sign(newcomer, "ack", { stateDigest: digest.stateDigest }),
      );
      assert.equal(ack.status, 204, ack.text);
      assert.equal(await status(newcomer.id), "Active");
      others.push(newcomer);

      // Two active members now: a proposal needs the newcomer's ballot too.
      const next = (
        await gov.propose(m0, [{ name: "set_greeting", args: { text: "hallo" } }])
      ).json<Proposal>();
      assert.equal(next.proposalState, "Open");
      const voted = (await gov.vote(newcomer, next.proposalId, true)).json<Proposal>();
      assert.equal(voted.proposalState, "Accepted");
    });

    it("activates a new member: set_member, :update to the latest signature's root, :ack", async () => {
      const late = await stranger("late");
      const added = await pass([{ name: "set_member", args: { cert: late.cert } }]);
      assert.equal(added.proposalState, "Accepted");
      assert.equal(await status(late.id), "Accepted");
      const update = await gov.post(
        `/members/state-digests/${late.id}:update`,
        gov.sign(late, "state_digest", ""),
      );
      // Needs a signature transaction (public:ccf.internal.signatures, written by the ledger).
      assert.equal(update.status, 200, update.text);
      const refreshed = update.json<{ memberId: string; stateDigest: string }>();
      assert.equal(refreshed.memberId, late.id);
      assert.match(refreshed.stateDigest, HEX64);
      const stored = (await gov.get(`/members/state-digests/${late.id}`)).json<{
        stateDigest: string;
      }>();
      assert.equal(stored.stateDigest, refreshed.stateDigest);
      const ack = await gov.post(
        `/members/state-digests/${late.id}:ack`,
        gov.sign(late, "ack", { stateDigest: refreshed.stateDigest }),
      );
      assert.equal(ack.status, 204, ack.text);
      assert.equal(await status(late.id), "Active");
    });
  });
});
