/**
 * Datasets, queries and consent, as the personas use them over HTTPS: northwind and woodgrove
 * publish datasets in a contract, northwind proposes a query reading both and writing woodgrove's
 * output, both approve it, and their consent switches decide whether it may run now. Every
 * refusal, the audit events, and pagination.
 */
import assert from "node:assert/strict";
import {
  constants,
  createCipheriv,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
import type { DatasetDocument } from "../../contracts/src/dataset.js";
import type { QueryDocument } from "../../contracts/src/query.js";
import type { Identity, Reply } from "../support/client.js";
import { errorOf, idOf } from "../support/gov.js";
import { newIdentity, startConsortium, type Consortium } from "./consortium.js";

const CONTRACT = "collab";

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Dataset {
  contractId: string;
  datasetId: string;
  owner: string;
  revision: number;
  document: DatasetDocument;
  version: string;
}

interface Ballot {
  vote: "accept" | "reject";
  at: number;
  expiresAt?: number;
  runQuota?: number;
}

interface QueryVersion {
  queryId: string;
  version: string;
  proposerId: string;
  approvers: string[];
  state: string;
  ballots: Record<string, Ballot>;
  superseded: boolean;
  datasetRevisions: Record<string, number>;
  withdrawn?: { by: string };
}

interface Query {
  queryId: string;
  proposerId: string;
  latestVersion: number;
  approverIds: string[];
  versions: QueryVersion[];
}

interface Runnable {
  runnable: boolean;
  code?: string;
  reason?: string;
  version?: string;
  runQuota?: number;
  expiresAt?: number;
  runsUsed?: number;
}

interface Switches {
  principalId: string;
  execution: boolean;
  telemetry: boolean;
  version?: string;
}

interface Event {
  type: string;
  actor: string;
  subject?: string;
  details: Record<string, unknown>;
}

describe("governance app: datasets, queries and consent", function () {
  let c: Consortium;
  let northwind: Identity;
  let woodgrove: Identity;
  /** A participant who owns no dataset: never an approver. */
  let fabrikam: Identity;
  /** A registered user who is not a participant of the contract. */
  let outsider: Identity;
  let nw: string;
  let wg: string;
  let kekId: string;
  let kekPublicKey: string;

  const base = `/app/contracts/${CONTRACT}`;
  const txOf = (reply: Reply) => String(reply.headers["x-ms-ccf-transaction-id"]);

  before(async () => {
    c = await startConsortium({ users: 4 });
    [northwind, woodgrove, fabrikam, outsider] = c.users as [
      Identity,
      Identity,
      Identity,
      Identity,
    ];
    nw = idOf(northwind.cert);
    wg = idOf(woodgrove.cert);
    // Governance makes the KEK; owners wrap their DEKs to its public key.
    const kek = await c.call(c.members[0], "/app/keys", { method: "POST" });
    assert.equal(kek.status, 201, kek.text);
    ({ kekId, publicKeyPem: kekPublicKey } = kek.json<{ kekId: string; publicKeyPem: string }>());
    // set_contract passes alone (its resolver refuses proposals mixing it with other actions).
    await c.pass([
      {
        name: "set_contract",
        args: {
          contractId: CONTRACT,
          version: "1.1",
          document: {
            participants: [
              { id: nw, kind: "user", name: "northwind" },
              { id: wg, kind: "user", name: "woodgrove" },
              { id: idOf(fabrikam.cert), kind: "user", name: "fabrikam" },
            ],
            policy: { measurements: ["00"], allowVirtual: true },
            consentDefaults: { execution: true, logging: false, telemetry: false },
          },
        },
      },
    ]);
  });
  after(async () => c?.stop());

  /** A dataset document whose DEK is really wrapped to the KEK with RSA-OAEP-256. */
  function dataset(
    overrides: Partial<DatasetDocument> = {},
    wrapTo: string = kekPublicKey,
  ): DatasetDocument {
    const wrappedDek = publicEncrypt(
      { key: wrapTo, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      randomBytes(32),
    ).toString("base64");
    return {
      schema: [
        { name: "customer_id", type: "string" },
        { name: "amount", type: "double" },
        { name: "campaign", type: "string" },
      ],
      allowedFields: ["customer_id", "amount", "campaign"],
      location: { kind: "s3", region: "eu-west-1", bucket: "cleanroom-data", prefix: "x/" },
      format: "parquet",
      encryption: { wrappedDek, kekId },
      ...overrides,
    };
  }

  const query = (overrides: Partial<QueryDocument> = {}): QueryDocument => ({
    sql: [
      { name: "joined", statement: "SELECT * FROM sales JOIN ads USING (customer_id)" },
      { statement: "SELECT campaign, SUM(amount) AS total FROM joined GROUP BY campaign" },
    ],
    inputs: [
      { datasetId: "nw-sales", view: "sales" },
      { datasetId: "wg-ads", view: "ads" },
    ],
    output: { datasetId: "wg-out" },
    thresholds: { minGroupSize: 5, groupBy: ["campaign"] },
    ...overrides,
  });

  const put = (as: Identity | undefined, path: string, body: object) =>
    c.call(as, `${base}${path}`, { method: "PUT", body });
  const post = (as: Identity | undefined, path: string, body: object) =>
    c.call(as, `${base}${path}`, { method: "POST", body });
  const get = (as: Identity | undefined, path: string) => c.call(as, `${base}${path}`);

  function expectError(reply: Reply, status: number, code: string): string {
    assert.equal(reply.status, status, reply.text);
    assert.equal(errorOf(reply).code, code, reply.text);
    return errorOf(reply).message;
  }

  async function runnable(queryId: string, version?: string): Promise<Runnable> {
    const reply = await get(
      northwind,
      `/queries/${queryId}/runnable${version ? `?version=${version}` : ""}`,
    );
    assert.equal(reply.status, 200, reply.text);
    return reply.json<Runnable>();
  }

  async function events(): Promise<Event[]> {
    const all: Event[] = [];
    let path: string | undefined = `${base}/events?limit=500`;
    while (path) {
      const reply = await c.call(northwind, path);
      assert.equal(reply.status, 200, reply.text);
      const page = reply.json<{ value: Event[]; nextLink?: string }>();
      all.push(...page.value);
      path = page.nextLink;
    }
    return all;
  }

  describe("datasets", () => {
    it("are published by participants, who become their owners", async () => {
      const first = await put(northwind, "/datasets/nw-sales", {
        document: dataset({ labels: { team: "sales" } }),
      });
      assert.equal(first.status, 201, first.text);
      const record = first.json<Dataset>();
      assert.equal(record.owner, nw);
      assert.equal(record.revision, 1);
      for (const [as, id, labels] of [
        [woodgrove, "wg-ads", { team: "ads" }],
        [woodgrove, "wg-out", { team: "ads", kind: "output" }],
      ] as const) {
        const reply = await put(as, `/datasets/${id}`, { document: dataset({ labels }) });
        assert.equal(reply.status, 201, reply.text);
      }
      const read = await get(woodgrove, "/datasets/nw-sales");
      assert.equal(read.status, 200, read.text);
      const stored = read.json<Dataset>();
      assert.equal(stored.version, txOf(first), "the version is the id of the publishing tx");
      assert.deepEqual(stored.document, record.document);
    });

    it("take DEKs wrapped with RSA-OAEP-AES-KWP too", async () => {
      // CKM_RSA_AES_KEY_WRAP: an ephemeral AES-256 key under RSA-OAEP-256, then the DEK under
      // that key with AES key wrap with padding (RFC 5649).
      const ephemeral = randomBytes(32);
      const kwp = createCipheriv("id-aes256-wrap-pad", ephemeral, Buffer.from("A65959A6", "hex"));
      const wrappedDek = Buffer.concat([
        publicEncrypt(
          { key: kekPublicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          ephemeral,
        ),
        kwp.update(randomBytes(32)),
        kwp.final(),
      ]).toString("base64");
      const document = dataset({
        encryption: { wrappedDek, kekId, algorithm: "RSA-OAEP-AES-KWP" },
      });
      const reply = await put(woodgrove, "/datasets/wg-kwp", { document });
      assert.equal(reply.status, 201, reply.text);
      assert.equal(reply.json<Dataset>().document.encryption.algorithm, "RSA-OAEP-AES-KWP");
    });

    it("take new revisions from their owner only, with the current version", async () => {
      const current = (await get(northwind, "/datasets/nw-sales")).json<Dataset>();
      const document = dataset({ labels: { team: "sales", region: "eu" } });
      expectError(await put(woodgrove, "/datasets/nw-sales", { document }), 403, "NotTheOwner");
      expectError(await put(northwind, "/datasets/nw-sales", { document }), 409, "VersionRequired");
      expectError(
        await put(northwind, "/datasets/nw-sales", { document, version: "2.1" }),
        412,
        "PreconditionFailed",
      );
      const reply = await put(northwind, "/datasets/nw-sales", {
        document,
        version: current.version,
      });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json<Dataset>().revision, 2);
      const latest = (await get(fabrikam, "/datasets/nw-sales")).json<Dataset>();
      assert.equal(latest.revision, 2);
      assert.deepEqual(latest.document.labels, { team: "sales", region: "eu" });
      const older = await get(fabrikam, "/datasets/nw-sales?revision=1");
      assert.equal(older.status, 200, older.text);
      assert.deepEqual(older.json<Dataset>().document.labels, { team: "sales" });
      expectError(await get(fabrikam, "/datasets/nw-sales?revision=3"), 404, "DatasetNotFound");
    });

    it("refuse bad documents, unknown KEKs and ids", async () => {
      const bad = dataset({ allowedFields: ["customer_id", "ssn"] });
      const message = expectError(
        await put(northwind, "/datasets/nw-bad", { document: bad }),
        400,
        "InvalidDataset",
      );
      assert.match(message, /'ssn' is not in the schema/);
      expectError(
        await put(northwind, "/datasets/nw-bad", { document: dataset(), owner: wg }),
        400,
        "InvalidDataset",
      );
      const noKek = dataset();
      noKek.encryption.kekId = "kek-missing";
      expectError(
        await put(northwind, "/datasets/nw-bad", { document: noKek }),
        409,
        "KekNotFound",
      );
      // The DEK must unwrap with the KEK and the algorithm it names.
      const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
        .publicKey.export({ type: "spki", format: "pem" })
        .toString();
      const wrongKey = dataset({}, otherKey);
      expectError(
        await put(northwind, "/datasets/nw-bad", { document: wrongKey }),
        409,
        "DekUnwrapFailed",
      );
      const misnamed = dataset();
      misnamed.encryption.algorithm = "RSA-OAEP-AES-KWP";
      expectError(
        await put(northwind, "/datasets/nw-bad", { document: misnamed }),
        409,
        "DekUnwrapFailed",
      );
      expectError(
        await put(northwind, "/datasets/..bad", { document: dataset() }),
        400,
        "InvalidId",
      );
      expectError(
        await c.call(northwind, `${base}/datasets/nw-bad`, { method: "PUT", body: "not json" }),
        400,
        "InvalidJson",
      );
      expectError(await get(northwind, "/datasets/nw-bad"), 404, "DatasetNotFound");
    });

    it("serve only the contract's participants", async () => {
      const stranger = await newIdentity("stranger");
      for (const [as, status, code] of [
        [outsider, 403, "NotAParticipant"],
        [c.members[0], 403, "NotAParticipant"],
        [stranger, 403, "NotAParticipant"],
        [undefined, 401, "InvalidAuthenticationInfo"],
      ] as const) {
        expectError(await get(as, "/datasets/nw-sales"), status, code);
        expectError(await get(as, "/datasets"), status, code);
        expectError(await put(as, "/datasets/x-1", { document: dataset() }), status, code);
      }
      expectError(await c.call(northwind, "/app/contracts/nope/datasets"), 404, "ContractNotFound");
    });

    it("list a page at a time, filtered by labels", async () => {
      const ids: string[] = [];
      let path: string | undefined = `${base}/datasets?limit=2`;
      let pages = 0;
      while (path) {
        const reply = await c.call(woodgrove, path);
        assert.equal(reply.status, 200, reply.text);
        const page = reply.json<{ value: Dataset[]; nextLink?: string }>();
        assert.ok(page.value.length <= 2);
        ids.push(...page.value.map((d) => d.datasetId));
        path = page.nextLink;
        pages++;
      }
      assert.deepEqual(ids, ["nw-sales", "wg-ads", "wg-out", "wg-kwp"]);
      assert.equal(pages, 2);

      const ads = await get(fabrikam, "/datasets?label=team:ads");
      assert.deepEqual(
        ads.json<{ value: Dataset[] }>().value.map((d) => d.datasetId),
        ["wg-ads", "wg-out"],
      );
      const both = await get(
        fabrikam,
        `/datasets?label=${encodeURIComponent("team:ads,kind:output")}`,
      );
      assert.deepEqual(
        both.json<{ value: Dataset[] }>().value.map((d) => d.datasetId),
        ["wg-out"],
      );
      // Filtering is within a page: a page may be empty and still lead on.
      const first = (await get(fabrikam, "/datasets?label=kind:output&limit=1")).json<{
        value: Dataset[];
        nextLink?: string;
      }>();
      assert.deepEqual(first.value, []);
      assert.match(first.nextLink ?? "", /label=kind%3Aoutput/);
      expectError(await get(fabrikam, "/datasets?label=nocolon"), 400, "InvalidParameter");
      expectError(await get(fabrikam, "/datasets?limit=0"), 400, "InvalidParameter");
    });
  });

  describe("queries", () => {
    it("are proposed by a participant, with the datasets' owners as approvers", async () => {
      const reply = await put(northwind, "/queries/q1", { document: query() });
      assert.equal(reply.status, 201, reply.text);
      const v1 = reply.json<QueryVersion>();
      assert.equal(v1.version, "1");
      assert.equal(v1.state, "Proposed");
      assert.equal(v1.proposerId, nw);
      assert.deepEqual(v1.approvers, [nw, wg]);
      assert.deepEqual(v1.ballots, {});
      assert.deepEqual(v1.datasetRevisions, { "nw-sales": 2, "wg-ads": 1, "wg-out": 1 });
    });

    it("refuse unpublished datasets, bad documents and ids", async () => {
      const missing = query({ inputs: [{ datasetId: "nope", view: "v" }] });
      const message = expectError(
        await put(northwind, "/queries/q-bad", { document: missing }),
        409,
        "DatasetNotPublished",
      );
      assert.match(message, /nope/);
      const self = query({ output: { datasetId: "nw-sales" } });
      expectError(await put(northwind, "/queries/q-bad", { document: self }), 400, "InvalidQuery");
      expectError(await put(northwind, "/queries/q-bad", { document: {} }), 400, "InvalidQuery");
      expectError(await put(northwind, "/queries/a%20b", { document: query() }), 400, "InvalidId");
      expectError(await get(northwind, "/queries/q-bad"), 404, "QueryNotFound");
      expectError(
        await put(outsider, "/queries/q-bad", { document: query() }),
        403,
        "NotAParticipant",
      );
    });

    it("take votes from approvers only, once each, on the latest version", async () => {
      expectError(
        await post(fabrikam, "/queries/q1/approve", { version: "1" }),
        403,
        "NotAnApprover",
      );
      expectError(
        await post(outsider, "/queries/q1/approve", { version: "1" }),
        403,
        "NotAParticipant",
      );
      expectError(
        await post(c.members[0], "/queries/q1/approve", { version: "1" }),
        403,
        "NotAParticipant",
      );
      expectError(
        await post(undefined, "/queries/q1/approve", { version: "1" }),
        401,
        "InvalidAuthenticationInfo",
      );
      expectError(await post(northwind, "/queries/q1/approve", {}), 400, "InvalidBallot");
      expectError(
        await post(northwind, "/queries/q1/approve", { version: "9" }),
        404,
        "QueryVersionNotFound",
      );
      expectError(
        await post(northwind, "/queries/q9/approve", { version: "1" }),
        404,
        "QueryNotFound",
      );
      expectError(
        await post(northwind, "/queries/q1/approve", {
          version: "1",
          expiresAt: nowSeconds() - 10,
        }),
        400,
        "InvalidBallot",
      );
      expectError(
        await post(northwind, "/queries/q1/approve", { version: "1", runQuota: 0 }),
        400,
        "InvalidBallot",
      );
      expectError(
        await post(northwind, "/queries/q1/reject", { version: "1", runQuota: 3 }),
        400,
        "InvalidBallot",
      );

      const first = await post(northwind, "/queries/q1/approve", { version: "1" });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json<QueryVersion>().state, "Proposed");
      expectError(
        await post(northwind, "/queries/q1/approve", { version: "1" }),
        409,
        "AlreadyVoted",
      );
      expectError(
        await post(northwind, "/queries/q1/reject", { version: "1" }),
        409,
        "AlreadyVoted",
      );
      const verdict = await runnable("q1");
      assert.equal(verdict.runnable, false);
      assert.equal(verdict.code, "QueryNotAccepted");
    });

    it("make every edit a new version needing new votes, by the proposer only", async () => {
      const edited = query({
        description: "per campaign, bigger groups",
        thresholds: { minGroupSize: 10 },
      });
      expectError(
        await put(woodgrove, "/queries/q1", { document: edited, version: "1" }),
        403,
        "NotTheProposer",
      );
      expectError(
        await put(northwind, "/queries/q1", { document: edited }),
        409,
        "VersionRequired",
      );
      expectError(
        await put(northwind, "/queries/q1", { document: edited, version: "2" }),
        412,
        "PreconditionFailed",
      );
      const reply = await put(northwind, "/queries/q1", { document: edited, version: "1" });
      assert.equal(reply.status, 201, reply.text);
      const v2 = reply.json<QueryVersion>();
      assert.equal(v2.version, "2");
      assert.equal(v2.state, "Proposed");
      assert.deepEqual(v2.ballots, {});

      expectError(
        await post(woodgrove, "/queries/q1/approve", { version: "1" }),
        409,
        "StaleVersion",
      );
      const read = (await get(fabrikam, "/queries/q1")).json<Query>();
      assert.equal(read.latestVersion, 2);
      assert.deepEqual(
        read.versions.map((v) => [v.version, v.state, v.superseded, Object.keys(v.ballots)]),
        [
          ["2", "Proposed", false, []],
          ["1", "Proposed", true, [nw]],
        ],
      );
      const one = (await get(fabrikam, "/queries/q1?version=1")).json<QueryVersion>();
      assert.equal(one.ballots[nw]?.vote, "accept");
    });

    it("are Accepted when every approver accepted, with the tightest limits", async () => {
      const expiresAt = nowSeconds() + 3600;
      const a = await post(northwind, "/queries/q1/approve", { version: "2", expiresAt });
      assert.equal(a.json<QueryVersion>().state, "Proposed");
      const b = await post(woodgrove, "/queries/q1/approve", { version: 2, runQuota: 3 });
      assert.equal(b.status, 200, b.text);
      assert.equal(b.json<QueryVersion>().state, "Accepted");
      expectError(
        await post(woodgrove, "/queries/q1/reject", { version: "2" }),
        409,
        "AlreadyVoted",
      );
      assert.deepEqual(await runnable("q1"), {
        runnable: true,
        version: "2",
        runsUsed: 0,
        expiresAt,
        runQuota: 3,
      });
      assert.equal((await runnable("q1", "2")).runnable, true);
      assert.equal((await runnable("q1", "1")).code, "QueryNotAccepted");
      expectError(await get(northwind, "/queries/q9/runnable"), 404, "QueryNotFound");
      expectError(await get(outsider, "/queries/q1/runnable"), 403, "NotAParticipant");
    });

    it("are Rejected by one rejection, after which they take no votes", async () => {
      const reply = await put(woodgrove, "/queries/q2", {
        document: query({ inputs: [{ datasetId: "nw-sales", view: "sales" }] }),
      });
      assert.equal(reply.status, 201, reply.text);
      assert.deepEqual(reply.json<QueryVersion>().approvers, [nw, wg]);
      const rejected = await post(northwind, "/queries/q2/reject", { version: "1" });
      assert.equal(rejected.json<QueryVersion>().state, "Rejected");
      expectError(
        await post(woodgrove, "/queries/q2/approve", { version: "1" }),
        409,
        "QueryNotProposed",
      );
      assert.equal((await runnable("q2")).code, "QueryNotAccepted");
      expectError(await post(woodgrove, "/queries/q2/withdraw", {}), 409, "CannotWithdraw");
    });

    it("are withdrawn by their proposer only", async () => {
      const reply = await put(woodgrove, "/queries/q3", {
        document: query({ inputs: [{ datasetId: "wg-ads", view: "ads" }] }),
      });
      assert.deepEqual(reply.json<QueryVersion>().approvers, [wg]);
      await post(woodgrove, "/queries/q3/approve", { version: "1" });
      assert.equal((await runnable("q3")).runnable, true);
      expectError(await post(northwind, "/queries/q3/withdraw", {}), 403, "NotTheProposer");
      expectError(await post(fabrikam, "/queries/q3/withdraw", {}), 403, "NotTheProposer");
      expectError(await post(outsider, "/queries/q3/withdraw", {}), 403, "NotAParticipant");
      expectError(
        await post(woodgrove, "/queries/q3/withdraw", { version: "7" }),
        404,
        "QueryVersionNotFound",
      );
      const withdrawn = await c.call(woodgrove, `${base}/queries/q3/withdraw`, { method: "POST" });
      assert.equal(withdrawn.status, 200, withdrawn.text);
      assert.equal(withdrawn.json<QueryVersion>().state, "Withdrawn");
      expectError(
        await post(woodgrove, "/queries/q3/withdraw", { version: "1" }),
        409,
        "CannotWithdraw",
      );
      expectError(
        await post(woodgrove, "/queries/q3/approve", { version: "1" }),
        409,
        "AlreadyVoted",
      );
      assert.equal((await runnable("q3")).code, "QueryNotAccepted");
      assert.equal((await runnable("q3", "1")).code, "QueryNotAccepted");
    });

    it("stop running when their approval expires", async () => {
      await put(woodgrove, "/queries/q4", {
        document: query({ inputs: [{ datasetId: "wg-ads", view: "ads" }] }),
      });
      const expiresAt = nowSeconds() + 2;
      const reply = await post(woodgrove, "/queries/q4/approve", { version: "1", expiresAt });
      assert.equal(reply.json<QueryVersion>().state, "Accepted");
      while (nowSeconds() <= expiresAt) await sleep(250);
      const verdict = await runnable("q4");
      assert.equal(verdict.runnable, false);
      assert.equal(verdict.code, "ApprovalExpired");
    });

    it("list a page at a time with their latest versions", async () => {
      const seen: [string, string, string][] = [];
      let path: string | undefined = `${base}/queries?limit=3`;
      while (path) {
        const reply = await c.call(fabrikam, path);
        assert.equal(reply.status, 200, reply.text);
        const page = reply.json<{
          value: (Query & { latest: QueryVersion })[];
          nextLink?: string;
        }>();
        assert.ok(page.value.length <= 3);
        seen.push(
          ...page.value.map(
            (q) => [q.queryId, q.latest.version, q.latest.state] as [string, string, string],
          ),
        );
        path = page.nextLink;
      }
      assert.deepEqual(seen, [
        ["q1", "2", "Accepted"],
        ["q2", "1", "Rejected"],
        ["q3", "1", "Withdrawn"],
        ["q4", "1", "Accepted"],
      ]);
    });
  });

  describe("consent", () => {
    it("is switched by each approver for a query, and read by participants", async () => {
      const initial = (await get(fabrikam, "/consent/queries/q1")).json<{
        approvers: Switches[];
        datasets: (Switches & { datasetId: string })[];
        contract: { execution: boolean };
      }>();
      assert.deepEqual(
        initial.approvers.map((s) => [s.principalId, s.execution, s.telemetry, s.version]),
        [
          [nw, true, true, undefined],
          [wg, true, true, undefined],
        ],
      );
      assert.deepEqual(
        initial.datasets.map((d) => d.datasetId),
        ["nw-sales", "wg-ads", "wg-out"],
      );
      assert.equal(initial.contract.execution, true);

      const off = await put(woodgrove, "/consent/queries/q1", { execution: false });
      assert.equal(off.status, 200, off.text);
      const verdict = await runnable("q1");
      assert.equal(verdict.runnable, false);
      assert.equal(verdict.code, "QueryConsentOff");
      assert.match(verdict.reason ?? "", new RegExp(wg));

      const read = (await get(northwind, "/consent/queries/q1")).json<{ approvers: Switches[] }>();
      const mine = read.approvers.find((s) => s.principalId === wg)!;
      assert.equal(mine.execution, false);
      assert.equal(mine.version, txOf(off));

      expectError(
        await put(woodgrove, "/consent/queries/q1", { execution: true }),
        409,
        "VersionRequired",
      );
      expectError(
        await put(woodgrove, "/consent/queries/q1", { execution: true, version: "2.2" }),
        412,
        "PreconditionFailed",
      );
      const on = await put(woodgrove, "/consent/queries/q1", {
        execution: true,
        version: mine.version,
      });
      assert.equal(on.status, 200, on.text);
      assert.equal((await runnable("q1")).runnable, true);
      // Telemetry is a separate switch: turning it off leaves execution on.
      const telemetry = await put(woodgrove, "/consent/queries/q1", {
        telemetry: false,
        version: txOf(on),
      });
      assert.deepEqual(
        { ...telemetry.json<Switches>(), updatedAt: undefined },
        { principalId: wg, execution: true, telemetry: false, updatedAt: undefined },
      );
      assert.equal((await runnable("q1")).runnable, true);
    });

    it("is switched by the owner for a dataset, and reaches every query naming it", async () => {
      const off = await put(northwind, "/consent/datasets/nw-sales", { execution: false });
      assert.equal(off.status, 200, off.text);
      const verdict = await runnable("q1");
      assert.equal(verdict.code, "DatasetConsentOff");
      assert.match(verdict.reason ?? "", /nw-sales/);
      const read = (await get(woodgrove, "/consent/datasets/nw-sales")).json<{
        owner: string;
        switches: Switches;
      }>();
      assert.equal(read.owner, nw);
      assert.equal(read.switches.execution, false);
      const on = await put(northwind, "/consent/datasets/nw-sales", {
        execution: true,
        version: txOf(off),
      });
      assert.equal(on.status, 200, on.text);
      assert.equal((await runnable("q1")).runnable, true);
    });

    it("is refused to everyone but the switch's holder", async () => {
      expectError(
        await put(woodgrove, "/consent/datasets/nw-sales", { execution: false }),
        403,
        "NotTheOwner",
      );
      expectError(
        await put(fabrikam, "/consent/datasets/nw-sales", { execution: false }),
        403,
        "NotTheOwner",
      );
      expectError(
        await put(fabrikam, "/consent/queries/q1", { execution: false }),
        403,
        "NotAnApprover",
      );
      expectError(
        await put(outsider, "/consent/queries/q1", { execution: false }),
        403,
        "NotAParticipant",
      );
      expectError(
        await put(undefined, "/consent/queries/q1", { execution: false }),
        401,
        "InvalidAuthenticationInfo",
      );
      expectError(await get(outsider, "/consent/queries/q1"), 403, "NotAParticipant");
      expectError(
        await put(northwind, "/consent/queries/q9", { execution: false }),
        404,
        "QueryNotFound",
      );
      expectError(
        await put(northwind, "/consent/datasets/d9", { execution: false }),
        404,
        "DatasetNotFound",
      );
      expectError(await put(northwind, "/consent/queries/q1", {}), 400, "InvalidConsent");
      expectError(
        await put(northwind, "/consent/queries/q1", { execution: "no" }),
        400,
        "InvalidConsent",
      );
      expectError(
        await put(northwind, "/consent/queries/q1", { logging: false }),
        400,
        "InvalidConsent",
      );
      assert.equal((await runnable("q1")).runnable, true);
    });

    it("follows the contract's execution switch, set by members", async () => {
      await c.pass([
        { name: "set_contract_switch", args: { contractId: CONTRACT, execution: false } },
      ]);
      const verdict = await runnable("q1");
      assert.equal(verdict.code, "ContractExecutionOff");
      await c.pass([
        { name: "set_contract_switch", args: { contractId: CONTRACT, execution: true } },
      ]);
      assert.equal((await runnable("q1")).runnable, true);
    });
  });

  describe("a dataset republished after approval", () => {
    it("stops the queries naming it until they are proposed and approved again", async () => {
      const current = (await get(woodgrove, "/datasets/wg-out")).json<Dataset>();
      const moved = dataset({ location: { kind: "local", path: "/elsewhere" } });
      const reply = await put(woodgrove, "/datasets/wg-out", {
        document: moved,
        version: current.version,
      });
      assert.equal(reply.status, 200, reply.text);
      const verdict = await runnable("q1");
      assert.equal(verdict.code, "DatasetChanged");
      assert.match(verdict.reason ?? "", /wg-out/);

      // A version proposed before the change cannot be accepted any more either.
      await put(northwind, "/queries/q5", { document: query() });
      const again = await put(woodgrove, "/datasets/wg-out", {
        document: moved,
        version: txOf(reply),
      });
      assert.equal(again.status, 200, again.text);
      expectError(
        await post(northwind, "/queries/q5/approve", { version: "1" }),
        409,
        "DatasetChanged",
      );

      const v3 = await put(northwind, "/queries/q1", { document: query(), version: "2" });
      assert.equal(v3.json<QueryVersion>().datasetRevisions["wg-out"], 3);
      await post(northwind, "/queries/q1/approve", { version: "3" });
      await post(woodgrove, "/queries/q1/approve", { version: "3" });
      assert.equal((await runnable("q1")).version, "3");
    });
  });

  describe("run quotas", () => {
    it("count each requested run until the tightest quota is used up", async () => {
      await put(woodgrove, "/queries/q6", {
        document: query({ inputs: [{ datasetId: "wg-ads", view: "ads" }] }),
      });
      await post(woodgrove, "/queries/q6/approve", { version: "1", runQuota: 2 });
      const requestRun = () => c.call(woodgrove, `${base}/runs`, { body: { queryId: "q6" } });
      const first = await requestRun();
      assert.equal(first.status, 201, first.text);
      assert.deepEqual(await runnable("q6"), {
        runnable: true,
        version: "1",
        runsUsed: 1,
        runQuota: 2,
      });
      const second = await requestRun();
      assert.equal(second.status, 201, second.text);
      const verdict = await runnable("q6");
      assert.equal(verdict.runnable, false);
      assert.equal(verdict.code, "RunQuotaExhausted");
      expectError(await requestRun(), 429, "RunQuotaExhausted");
    });
  });

  describe("the audit trail", () => {
    it("records every action and the participants' refusals", async () => {
      const trail = await events();
      const types = trail.map((e) => e.type);
      for (const type of [
        "dataset.published",
        "query.proposed",
        "query.voted",
        "query.accepted",
        "query.rejected",
        "query.withdrawn",
        "consent.query.changed",
        "consent.dataset.changed",
        "dataset.publish.refused",
        "query.propose.refused",
        "query.accept.refused",
        "query.withdraw.refused",
        "consent.query.refused",
        "consent.dataset.refused",
      ]) {
        assert.ok(types.includes(type), `no ${type} event`);
      }
      const published = trail.filter(
        (e) => e.type === "dataset.published" && e.subject === "nw-sales",
      );
      assert.deepEqual(
        published.map((e) => [e.actor, e.details["revision"], e.details["kekId"]]),
        [
          [nw, 1, kekId],
          [nw, 2, kekId],
        ],
      );
      const refusal = trail.find(
        (e) => e.type === "query.accept.refused" && e.actor === idOf(fabrikam.cert),
      );
      assert.equal(refusal?.details["code"], "NotAnApprover");
      const accepted = trail.filter((e) => e.type === "query.accepted" && e.subject === "q1");
      assert.deepEqual(
        accepted.map((e) => e.details["version"]),
        ["2", "3"],
      );
      // Strangers' refusals are not recorded: they cannot grow a contract's trail.
      assert.ok(!trail.some((e) => e.actor === idOf(outsider.cert)));
      // No event carries a wrapped key.
      assert.doesNotMatch(JSON.stringify(trail), /wrappedDek/);
    });
  });
});
