/**
 * Contracts, as the personas use them over HTTPS with three members: members edit drafts with
 * versions, propose them (`set_contract`), vote them to Accepted (unanimity) or Rejected (any
 * "no"); accepted versions are immutable and a new version needs new votes; members switch
 * consent by proposal; participants read, others are refused; lists page and filter by state.
 */
import assert from "node:assert/strict";
import type { ContractDocument } from "../../contracts/src/contract.js";
import {
  contractExamples,
  contractIdExamples,
  sampleContract,
} from "../../contracts/src/contract.fixtures.js";
import type { Identity, Reply } from "../support/client.js";
import { errorOf, idOf, type Member, type Proposal } from "../support/gov.js";
import { newIdentity, startConsortium, type Consortium } from "./consortium.js";

interface ContractView {
  contractId: string;
  state: string;
  draft?: { document: ContractDocument; version: string };
  accepted?: {
    document: ContractDocument;
    version: string;
    proposalId: string;
    proposerId: string;
    finalVotes: Record<string, boolean>;
    sequence: number;
  };
  switches?: { execution: boolean; logging: boolean; telemetry: boolean };
  proposalId?: string;
  proposed?: { document: ContractDocument; version: string };
}

interface ListItem {
  contractId: string;
  state: string;
  draftVersion?: string;
  acceptedVersion?: string;
  proposalId?: string;
}

type Action = { name: string; args: Record<string, unknown> };

describe("governance app: contracts", function () {
  let c: Consortium;
  let m0: Member, m1: Member, m2: Member;
  let participant: Identity;
  let outsider: Identity;
  let stranger: Identity;

  /** A valid document naming member0 and user0 (user1 is not a participant). */
  const documentFor = (change: (doc: ContractDocument) => void = () => {}): ContractDocument => {
    const doc = sampleContract();
    doc.participants = [
      { id: m0.id, kind: "member", name: "operator" },
      { id: idOf(participant.cert), kind: "user", name: "northwind" },
    ];
    change(doc);
    return doc;
  };

  const path = (id: string) => `/app/contracts/${encodeURIComponent(id)}`;
  const put = (id: string, body: object, as: Identity = m0) =>
    c.call(as, path(id), { method: "PUT", body });
  const read = (id: string, as: Identity = m0) => c.call(as, path(id));
  const view = async (id: string, as: Identity = m0): Promise<ContractView> => {
    const reply = await read(id, as);
    assert.equal(reply.status, 200, reply.text);
    return reply.json<ContractView>();
  };
  const txid = (reply: Reply) => reply.headers["x-ms-ccf-transaction-id"] as string;

  /** Saves a draft (creating or editing it) and returns its new version. */
  async function saveDraft(id: string, document: ContractDocument): Promise<string> {
    const current = (await read(id)).status === 200 ? (await view(id)).draft?.version : undefined;
    const reply = await put(id, current ? { document, version: current } : { document });
    assert.ok(reply.status === 200 || reply.status === 201, reply.text);
    return txid(reply);
  }

  const setContract = (contractId: string, version: string, document: unknown): Action => ({
    name: "set_contract",
    args: { contractId, version, document },
  });

  async function propose(actions: Action[], proposer: Member = m0): Promise<Proposal> {
    const reply = await c.gov.propose(proposer, actions);
    assert.equal(reply.status, 200, reply.text);
    return reply.json<Proposal>();
  }

  async function vote(voter: Member, proposalId: string, ballot: boolean): Promise<Proposal> {
    const reply = await c.gov.vote(voter, proposalId, ballot);
    assert.equal(reply.status, 200, reply.text);
    return reply.json<Proposal>();
  }

  /** Proposes as member0; member1 and member2 vote for it. */
  async function accept(actions: Action[]): Promise<Proposal> {
    const proposal = await propose(actions);
    assert.equal(proposal.proposalState, "Open");
    assert.equal((await vote(m1, proposal.proposalId, true)).proposalState, "Open");
    const last = await vote(m2, proposal.proposalId, true);
    assert.equal(last.proposalState, "Accepted", JSON.stringify(last));
    return last;
  }

  async function refusal(reply: Reply, status: number, code: string): Promise<string> {
    assert.equal(reply.status, status, reply.text);
    const error = errorOf(reply);
    assert.equal(error.code, code);
    return error.message;
  }

  before(async () => {
    c = await startConsortium({ members: 3 });
    [m0, m1, m2] = c.members as [Member, Member, Member];
    [participant, outsider] = c.users as [Identity, Identity];
    stranger = await newIdentity("stranger");
  });
  after(async () => c?.stop());

  describe("drafts", () => {
    it("saves a draft that members read back with its version", async () => {
      const document = documentFor();
      const reply = await put("sales", { document });
      assert.equal(reply.status, 201, reply.text);
      assert.deepEqual(reply.json(), { contractId: "sales", state: "Draft" });
      const got = await view("sales");
      assert.equal(got.state, "Draft");
      assert.deepEqual(got.draft, { document, version: txid(reply) });
      assert.equal(got.accepted, undefined);
      assert.equal(got.proposalId, undefined);
    });

    it("edits with the current version: 409 without one, 412 with a stale one", async () => {
      const first = (await view("sales")).draft!.version;
      const edited = documentFor((d) => (d.description = "edited"));
      const missing = await refusal(
        await put("sales", { document: edited }),
        409,
        "VersionRequired",
      );
      assert.match(missing, new RegExp(first.replace(".", "\\.")));
      const reply = await put("sales", { document: edited, version: first });
      assert.equal(reply.status, 200, reply.text);
      const second = (await view("sales")).draft!;
      assert.equal(second.version, txid(reply));
      assert.notEqual(second.version, first);
      assert.equal(second.document.description, "edited");
      await refusal(
        await put("sales", { document: documentFor(), version: first }),
        412,
        "PreconditionFailed",
      );
      await refusal(
        await put("nothing-yet", { document: documentFor(), version: first }),
        412,
        "PreconditionFailed",
      );
      assert.equal((await view("sales")).draft!.version, second.version);
    });

    it("records each saved draft in the contract's audit trail, without the document", async () => {
      const reply = await c.call(m0, "/app/contracts/sales/events");
      assert.equal(reply.status, 200, reply.text);
      const events = reply.json<{ value: { type: string; actor: string; details: object }[] }>();
      const saved = events.value.filter((e) => e.type === "contract.draft_saved");
      assert.equal(saved.length, 2);
      assert.equal(saved[0]!.actor, m0.id);
      assert.ok(!JSON.stringify(saved).includes("northwind"));
    });

    it("refuses an invalid document with the validator's message", async () => {
      for (const example of contractExamples.filter((e) => e.error).slice(0, 6)) {
        const message = await refusal(
          await put("invalid", { document: example.document }),
          400,
          "InvalidContract",
        );
        assert.equal(message, example.error);
      }
      await refusal(await read("invalid"), 404, "ContractNotFound");
    });

    it("refuses bad ids, bodies and versions", async () => {
      const message = await refusal(
        await put("-bad", { document: documentFor() }),
        400,
        "InvalidContractId",
      );
      assert.equal(message, contractIdExamples.find((e) => e.id === "-lead")!.error);
      await refusal(await read("a%40b"), 400, "InvalidContractId");
      await refusal(await put("x", { document: documentFor(), extra: 1 }), 400, "InvalidRequest");
      await refusal(await put("x", { document: documentFor(), version: 3 }), 400, "InvalidVersion");
      const notJson = await c.call(m0, path("x"), { method: "PUT", body: "[1]" });
      await refusal(notJson, 400, "InvalidJson");
    });

    it("lets only members save drafts", async () => {
      await refusal(
        await put("by-user", { document: documentFor() }, participant),
        403,
        "MemberRequired",
      );
      await refusal(
        await put("by-user", { document: documentFor() }, stranger),
        403,
        "MemberRequired",
      );
      await refusal(await read("by-user"), 404, "ContractNotFound");
    });
  });

  describe("proposals and ballots", () => {
    it("goes Draft → Proposed → Accepted when every member votes for it", async () => {
      const draft = (await view("sales")).draft!;
      const proposal = await propose([setContract("sales", draft.version, draft.document)]);
      assert.equal(proposal.proposalState, "Open");

      let got = await view("sales");
      assert.equal(got.state, "Proposed");
      assert.equal(got.proposalId, proposal.proposalId);
      assert.deepEqual(got.proposed, { document: draft.document, version: draft.version });

      assert.equal((await vote(m1, proposal.proposalId, true)).proposalState, "Open");
      assert.equal((await view("sales")).state, "Proposed");
      const last = await vote(m2, proposal.proposalId, true);
      assert.equal(last.proposalState, "Accepted");

      got = await view("sales");
      assert.equal(got.state, "Accepted");
      assert.deepEqual(got.accepted, {
        document: draft.document,
        version: draft.version,
        proposalId: proposal.proposalId,
        proposerId: m0.id,
        finalVotes: { [m1.id]: true, [m2.id]: true },
        sequence: 1,
      });
      assert.deepEqual(got.switches, draft.document.consentDefaults);
      assert.equal(got.proposalId, undefined);
    });

    it("is Rejected at once by any member's no, and a Draft again once edited", async () => {
      const version = await saveDraft("veto", documentFor());
      const proposal = await propose([setContract("veto", version, documentFor())]);
      assert.equal((await vote(m1, proposal.proposalId, true)).proposalState, "Open");
      const rejected = await vote(m2, proposal.proposalId, false);
      assert.equal(rejected.proposalState, "Rejected");
      let got = await view("veto");
      assert.equal(got.state, "Rejected");
      assert.equal(got.proposalId, proposal.proposalId);
      assert.equal(got.accepted, undefined);

      await saveDraft(
        "veto",
        documentFor((d) => (d.description = "second try")),
      );
      got = await view("veto");
      assert.equal(got.state, "Draft");
      assert.equal(got.proposalId, undefined);
    });

    it("lets the proposer reject its own proposal, and the first no decides", async () => {
      const version = await saveDraft("self-veto", documentFor());
      const proposal = await propose([setContract("self-veto", version, documentFor())]);
      assert.equal((await vote(m0, proposal.proposalId, false)).proposalState, "Rejected");
      assert.equal((await view("self-veto")).state, "Rejected");

      const again = await propose([setContract("self-veto", version, documentFor())]);
      assert.equal((await vote(m1, again.proposalId, false)).proposalState, "Rejected");
    });

    it("shows a rejected contract as Draft once CCF prunes the rejected proposal", async () => {
      const version = await saveDraft("pruned", documentFor());
      const proposal = await propose([setContract("pruned", version, documentFor())]);
      await vote(m1, proposal.proposalId, false);
      assert.equal((await view("pruned")).state, "Rejected");
      // Any other proposal closing makes CCF delete every older closed one.
      await c.pass([{ name: "set_user_data", args: { user_id: idOf(outsider.cert) } }]);
      assert.equal((await c.gov.proposal(proposal.proposalId)).status, 404);
      assert.equal((await view("pruned")).state, "Draft");
    });

    it("rejects a set_contract mixed with another action", async () => {
      const version = await saveDraft("mixed", documentFor());
      const mixed = await propose([
        setContract("mixed", version, documentFor()),
        { name: "set_user_data", args: { user_id: idOf(outsider.cert) } },
      ]);
      assert.equal(mixed.proposalState, "Rejected");
      const withSwitch = await propose([
        setContract("mixed", version, documentFor()),
        { name: "set_contract_switch", args: { contractId: "sales", logging: true } },
      ]);
      assert.equal(withSwitch.proposalState, "Rejected");
      assert.equal((await view("mixed")).accepted, undefined);
    });

    it("rejects a proposal naming a contract twice, but accepts two contracts at once", async () => {
      const a = await saveDraft("pair-a", documentFor());
      const b = await saveDraft("pair-b", documentFor());
      const twice = await propose([
        setContract("pair-a", a, documentFor()),
        setContract("pair-a", a, documentFor()),
      ]);
      assert.equal(twice.proposalState, "Rejected");
      await accept([
        setContract("pair-a", a, documentFor()),
        setContract("pair-b", b, documentFor()),
      ]);
      assert.equal((await view("pair-a")).state, "Accepted");
      assert.equal((await view("pair-b")).state, "Accepted");
    });

    it("rejects a second proposal for a contract while one is open", async () => {
      const version = await saveDraft("contested", documentFor());
      const first = await propose([setContract("contested", version, documentFor())]);
      const second = await propose([setContract("contested", version, documentFor())], m1);
      assert.equal(second.proposalState, "Rejected");
      const got = await view("contested");
      assert.equal(got.state, "Proposed");
      assert.equal(got.proposalId, first.proposalId);
      // The first one is still open and can still pass.
      assert.equal((await vote(m1, first.proposalId, true)).proposalState, "Open");
      assert.equal((await vote(m2, first.proposalId, true)).proposalState, "Accepted");
      assert.equal((await view("contested")).state, "Accepted");
    });

    it("goes back to Draft when the proposer withdraws", async () => {
      const version = await saveDraft("withdrawn", documentFor());
      const proposal = await propose([setContract("withdrawn", version, documentFor())]);
      assert.equal((await view("withdrawn")).state, "Proposed");
      assert.equal((await c.gov.withdraw(m0, proposal.proposalId)).status, 200);
      assert.equal((await view("withdrawn")).state, "Draft");
    });
  });

  describe("accepted contracts are immutable", () => {
    it("keeps the accepted version while a new draft is edited and proposed", async () => {
      const before = await view("sales");
      const next = documentFor((d) => {
        d.policy.allowVirtual = true;
        d.policy.measurements = ["00", ...d.policy.measurements];
      });
      const version = await saveDraft("sales", next);
      let got = await view("sales");
      assert.equal(got.state, "Draft");
      assert.deepEqual(got.accepted, before.accepted);
      assert.deepEqual(got.draft, { document: next, version });

      const proposal = await propose([setContract("sales", version, next)]);
      await vote(m1, proposal.proposalId, true);
      got = await view("sales");
      assert.equal(got.state, "Proposed");
      assert.deepEqual(got.accepted, before.accepted, "still the first version until all agree");

      await vote(m2, proposal.proposalId, true);
      got = await view("sales");
      assert.equal(got.state, "Accepted");
      assert.equal(got.accepted!.sequence, 2);
      assert.equal(got.accepted!.version, version);
      assert.deepEqual(got.accepted!.document, next);

      const v1 = await c.call(participant, "/app/contracts/sales/versions/1");
      assert.equal(v1.status, 200, v1.text);
      assert.deepEqual(
        v1.json<{ document: ContractDocument }>().document,
        before.accepted!.document,
      );
      const v2 = (await c.call(m0, "/app/contracts/sales/versions/2")).json<{ version: string }>();
      assert.equal(v2.version, version);
      await refusal(
        await c.call(m0, "/app/contracts/sales/versions/3"),
        404,
        "ContractVersionNotFound",
      );
      await refusal(await c.call(m0, "/app/contracts/sales/versions/0"), 400, "InvalidParameter");
    });

    it("refuses to propose an accepted version or an older one again", async () => {
      const accepted = (await view("sales")).accepted!;
      for (const version of [accepted.version, "2.1"]) {
        const reply = await c.gov.propose(m0, [setContract("sales", version, accepted.document)]);
        const message = await refusal(reply, 400, "ProposalFailedToValidate");
        assert.ok(
          message.includes(
            `contract sales already has version ${accepted.version} accepted: propose a newer draft version`,
          ),
          message,
        );
      }
    });

    it("accepts a contract that was proposed without a draft", async () => {
      await accept([setContract("no-draft", "2.99999", documentFor())]);
      const got = await view("no-draft");
      assert.equal(got.state, "Accepted");
      assert.equal(got.draft, undefined);
    });
  });

  describe("the constitution validates like contract.ts", () => {
    it("accepts and refuses the same documents", async () => {
      for (const example of contractExamples) {
        const reply = await c.gov.propose(m0, [setContract("fixture", "2.1", example.document)]);
        if (example.error === undefined) {
          assert.equal(reply.status, 200, `${example.name}: ${reply.text}`);
          const proposal = reply.json<Proposal>();
          assert.equal(proposal.proposalState, "Open", example.name);
          assert.equal((await c.gov.withdraw(m0, proposal.proposalId)).status, 200);
        } else {
          const message = await refusal(reply, 400, "ProposalFailedToValidate");
          assert.ok(
            message.includes(`set_contract at position 0 failed validation: ${example.error}`),
            `${example.name}: ${message}`,
          );
        }
      }
    });

    it("accepts and refuses the same contract ids", async () => {
      for (const example of contractIdExamples) {
        const reply = await c.gov.propose(m0, [
          setContract(example.id as string, "2.1", documentFor()),
        ]);
        if (example.error === undefined) {
          assert.equal(reply.status, 200, reply.text);
          assert.equal((await c.gov.withdraw(m0, reply.json<Proposal>().proposalId)).status, 200);
        } else {
          const message = await refusal(reply, 400, "ProposalFailedToValidate");
          assert.ok(message.includes(example.error), message);
        }
      }
    });

    it("refuses malformed arguments", async () => {
      const cases: [unknown, string][] = [
        [
          { contractId: "x", version: "2", document: documentFor() },
          "version must be the draft's version",
        ],
        [{ contractId: "x", document: documentFor() }, "version must be the draft's version"],
        [
          { contractId: "x", version: "2.1", document: documentFor(), note: 1 },
          "args.note is not a known field",
        ],
        [undefined, "args must be an object, but is of type undefined"],
      ];
      for (const [args, expected] of cases) {
        const reply = await c.gov.propose(m0, [{ name: "set_contract", args }]);
        const message = await refusal(reply, 400, "ProposalFailedToValidate");
        assert.ok(message.includes(expected), message);
      }
    });
  });

  describe("consent switches", () => {
    it("switches execution off and logging on by unanimous proposal", async () => {
      const defaults = (await view("sales")).accepted!.document.consentDefaults;
      const proposal = await accept([
        { name: "set_contract_switch", args: { contractId: "sales", execution: false } },
        { name: "set_contract_switch", args: { contractId: "sales", logging: true } },
      ]);
      assert.equal(proposal.proposalState, "Accepted");
      assert.deepEqual((await view("sales")).switches, {
        execution: false,
        logging: true,
        telemetry: defaults.telemetry,
      });
      await accept([
        { name: "set_contract_switch", args: { contractId: "sales", execution: true } },
      ]);
      assert.deepEqual((await view("sales")).switches, {
        execution: true,
        logging: true,
        telemetry: defaults.telemetry,
      });
    });

    it("lets any member veto a switch", async () => {
      const before = (await view("sales")).switches;
      const proposal = await propose([
        { name: "set_contract_switch", args: { contractId: "sales", telemetry: true } },
      ]);
      assert.equal((await vote(m2, proposal.proposalId, false)).proposalState, "Rejected");
      assert.deepEqual((await view("sales")).switches, before);
    });

    it("refuses switches for a contract not accepted, without a switch, or not boolean", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [
          { contractId: "veto", execution: false },
          "contract veto has not been accepted: switches apply to accepted contracts",
        ],
        [{ contractId: "sales" }, "give at least one of execution, logging or telemetry"],
        [
          { contractId: "sales", logging: "on" },
          "logging must be a boolean, but is of type string",
        ],
        [{ contractId: "sales", quota: 1 }, "args.quota is not a known field"],
      ];
      for (const [args, expected] of cases) {
        const reply = await c.gov.propose(m0, [{ name: "set_contract_switch", args }]);
        const message = await refusal(reply, 400, "ProposalFailedToValidate");
        assert.ok(message.includes(expected), message);
      }
    });
  });

  describe("who may read", () => {
    it("lets members and participants read, and refuses everyone else", async () => {
      for (const member of [m0, m1, m2]) assert.equal((await read("sales", member)).status, 200);
      assert.equal((await view("sales", participant)).state, "Accepted");
      await refusal(await read("sales", outsider), 403, "NotAParticipant");
      await refusal(await read("sales", stranger), 403, "NotAParticipant");
      await refusal(await c.call(undefined, path("sales")), 401, "InvalidAuthenticationInfo");
      await refusal(
        await c.call(outsider, "/app/contracts/sales/versions/1"),
        403,
        "NotAParticipant",
      );
    });

    it("lets a user named only in a draft read it", async () => {
      const outsiderId = idOf(outsider.cert);
      await saveDraft(
        "draft-only",
        documentFor((d) => d.participants.push({ id: outsiderId, kind: "user", name: "contoso" })),
      );
      assert.equal((await view("draft-only", outsider)).state, "Draft");
      await refusal(await read("veto", outsider), 403, "NotAParticipant");
    });
  });

  describe("lists", () => {
    async function listAll(query: string, as: Identity = m0): Promise<ListItem[]> {
      const items: ListItem[] = [];
      let next: string | undefined = `/app/contracts${query}`;
      let pages = 0;
      while (next) {
        const reply = await c.call(as, next);
        assert.equal(reply.status, 200, reply.text);
        const page = reply.json<{ value: ListItem[]; nextLink?: string }>();
        items.push(...page.value);
        next = page.nextLink;
        assert.ok(++pages < 100, "the list does not end");
      }
      return items;
    }

    it("pages through every contract once, drafted or not", async () => {
      for (let i = 0; i < 5; i++) await saveDraft(`listed-${i}`, documentFor());
      const all = await listAll("");
      const ids = all.map((item) => item.contractId);
      assert.equal(new Set(ids).size, ids.length, "no contract twice");
      for (const id of ["sales", "veto", "no-draft", "pair-a", "listed-0", "listed-4"]) {
        assert.ok(ids.includes(id), `${id} is listed`);
      }
      const paged = await listAll("?limit=2");
      assert.deepEqual(paged, all);
      const first = (await c.call(m0, "/app/contracts?limit=2")).json<{ nextLink: string }>();
      assert.equal(first.nextLink, "/app/contracts?start=d2&limit=2");
      const sales = all.find((item) => item.contractId === "sales")!;
      assert.equal(sales.state, "Accepted");
      assert.equal(sales.acceptedVersion, sales.draftVersion);
    });

    it("filters by state", async () => {
      const all = await listAll("");
      for (const state of ["Draft", "Proposed", "Accepted", "Rejected"]) {
        const filtered = await listAll(`?state=${state}&limit=3`);
        assert.deepEqual(
          filtered,
          all.filter((item) => item.state === state),
        );
      }
      const accepted = (await listAll("?state=Accepted")).map((item) => item.contractId);
      assert.ok(accepted.includes("sales") && accepted.includes("no-draft"));
      assert.ok(!accepted.includes("listed-0"));
      const version = await saveDraft("listed-proposed", documentFor());
      const proposal = await propose([setContract("listed-proposed", version, documentFor())]);
      const proposed = await listAll("?state=Proposed");
      assert.deepEqual(
        proposed.map((item) => [item.contractId, item.proposalId]),
        [["listed-proposed", proposal.proposalId]],
      );
      await c.gov.withdraw(m0, proposal.proposalId);
    });

    it("shows users only the contracts that name them", async () => {
      const mine = (await listAll("", participant)).map((item) => item.contractId);
      assert.ok(mine.includes("sales"));
      const theirs = (await listAll("", outsider)).map((item) => item.contractId);
      assert.deepEqual(theirs, ["draft-only"]);
      await refusal(await c.call(stranger, "/app/contracts"), 403, "NotAParticipant");
      await refusal(await c.call(undefined, "/app/contracts"), 401, "InvalidAuthenticationInfo");
    });

    it("refuses bad parameters", async () => {
      await refusal(await c.call(m0, "/app/contracts?state=Open"), 400, "InvalidParameter");
      await refusal(await c.call(m0, "/app/contracts?start=7"), 400, "InvalidParameter");
      await refusal(await c.call(m0, "/app/contracts?limit=0"), 400, "InvalidParameter");
      await refusal(await c.call(m0, "/app/contracts?limit=101"), 400, "InvalidParameter");
    });
  });
});
