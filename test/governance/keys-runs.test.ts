/**
 * Keys, attestation, runs and access grants over HTTPS, with a simulated clean room: governance
 * makes KEKs; owners publish datasets whose DEKs are wrapped to them; an Accepted query is run;
 * the "runtime" here (node:crypto: an RSA key pair, virtual or generated SEV-SNP evidence binding
 * it and a governance nonce, RSA-PSS signed requests, RSA-OAEP-AES-KWP unwrapped by hand) claims
 * the run, obtains the keys and grants, reports and completes; governance signs a statement.
 * Then every refusal of issue 5: each changes nothing and is an audit event with the reason.
 */
import assert from "node:assert/strict";
import {
  constants,
  createCipheriv,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  verify,
  type KeyObject,
} from "node:crypto";
import { reportData, type Attestation } from "../../contracts/src/attestation.js";
import type { DatasetDocument } from "../../contracts/src/dataset.js";
import type { QueryDocument } from "../../contracts/src/query.js";
import type { Identity, Reply } from "../support/client.js";
import { idOf } from "../support/gov.js";
import { generateSnpEvidence } from "../support/snp-evidence.js";
import { startConsortium, type Consortium } from "./consortium.js";
import { HOST, M_SNP, M_VIRT, Runtime, sha256 } from "./runtime-sim.js";

const A = "analytics";
/** A contract that does not allow virtual attestation. */
const B = "strict";

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const txOf = (reply: Reply) => String(reply.headers["x-ms-ccf-transaction-id"]);

interface Run {
  runId: string;
  state: string;
  queryId: string;
  queryVersion: string;
  claim?: {
    platform: string;
    measurement: string;
    hostData?: string;
    publicKeyPem: string;
    attestationDigest: string;
  };
  progress?: { sequence: number };
  result?: { outputDigests: unknown[] };
  version: string;
}

interface Event {
  type: string;
  actor: string;
  subject?: string;
  details: Record<string, unknown>;
  transactionId: string;
}

interface Kek {
  kekId: string;
  publicKeyPem: string;
  generation: number;
  current: boolean;
}

/** The clean room, simulated: its own ephemeral key, its evidence, its signed requests. */
describe("governance app: keys, attestation, runs and access grants", function () {
  let c: Consortium;
  let northwind: Identity;
  let woodgrove: Identity;
  /** A participant of A who owns no dataset. */
  let fabrikam: Identity;
  /** A user who is no participant. */
  let outsider: Identity;
  let wg: string;
  let fab: string;
  let firstKek: Kek;
  const deks = new Map<string, Buffer>();

  const call = (as: Identity | undefined, path: string, method = "GET", body?: object) =>
    c.call(as, path, body === undefined ? { method } : { method, body });
  const runs = (contract: string) => `/app/contracts/${contract}/runs`;

  function expectError(reply: Reply, status: number, code: string): string {
    assert.equal(reply.status, status, `${status} ${code} expected: ${reply.status} ${reply.text}`);
    const error = reply.json<{ error: { code: string; message: string } }>().error;
    assert.equal(error.code, code, reply.text);
    return error.message;
  }

  async function events(contract: string): Promise<Event[]> {
    const all: Event[] = [];
    let path: string | undefined = `/app/contracts/${contract}/events?limit=500`;
    while (path) {
      const reply = await c.call(northwind, path);
      assert.equal(reply.status, 200, reply.text);
      const page = reply.json<{ value: Event[]; nextLink?: string }>();
      all.push(...page.value);
      path = page.nextLink;
    }
    return all;
  }

  async function getRun(contract: string, runId: string): Promise<Run> {
    const reply = await call(northwind, `${runs(contract)}/${runId}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json<Run>();
  }

  /**
   * `action` is refused with `status`/`code`; the run is exactly as it was; one event was
   * appended to the contract's trail: `<type>.refused` with the code. Returns the message.
   */
  async function refused(
    contract: string,
    runId: string,
    action: () => Promise<Reply>,
    status: number,
    code: string,
    type: string,
  ): Promise<string> {
    const before = await getRun(contract, runId);
    const trail = (await events(contract)).length;
    const message = expectError(await action(), status, code);
    assert.deepEqual(await getRun(contract, runId), before, "a refusal changes nothing");
    const after = await events(contract);
    assert.equal(after.length, trail + 1, "a refusal is one audit event");
    const event = after[after.length - 1]!;
    assert.equal(event.type, `${type}.refused`);
    assert.equal(event.details["code"], code);
    assert.equal(event.details["runId"], runId);
    assert.equal(event.details["reason"], message);
    return message;
  }

  async function requestRun(contract: string, queryId: string, as = northwind): Promise<string> {
    const reply = await call(as, runs(contract), "POST", { queryId });
    assert.equal(reply.status, 201, reply.text);
    const body = reply.json<{ runId: string; state: string }>();
    assert.equal(body.state, "Requested");
    return body.runId;
  }

  async function nonceFor(contract: string, runId: string): Promise<string> {
    const reply = await call(undefined, `${runs(contract)}/${runId}/nonce`, "POST", {});
    assert.equal(reply.status, 200, reply.text);
    return reply.json<{ nonce: string }>().nonce;
  }

  const claim = (contract: string, runId: string, body: object) =>
    call(undefined, `${runs(contract)}/${runId}/claim`, "POST", body);

  /** A run of `queryId` requested and claimed by `runtime` with virtual evidence. */
  async function claimedRun(runtime: Runtime, contract = A, queryId = "q1"): Promise<string> {
    const runId = await requestRun(contract, queryId);
    const nonce = await nonceFor(contract, runId);
    const reply = await claim(contract, runId, {
      attestation: runtime.virtual(nonce),
      publicKeyPem: runtime.publicKeyPem,
      nonce,
    });
    assert.equal(reply.status, 200, reply.text);
    return runId;
  }

  function keyRequest(
    runtime: Runtime,
    contract: string,
    runId: string,
    datasetId: string,
    payload: object = { contractId: contract, runId, purpose: "key", datasetId },
    key?: KeyObject,
  ) {
    return call(
      undefined,
      `${runs(contract)}/${runId}/keys/${datasetId}`,
      "POST",
      runtime.signed(payload, key),
    );
  }

  async function releasedKey(
    runtime: Runtime,
    contract: string,
    runId: string,
    datasetId: string,
  ): Promise<Buffer> {
    const reply = await keyRequest(runtime, contract, runId, datasetId);
    assert.equal(reply.status, 200, reply.text);
    const body = reply.json<{ datasetId: string; wrappedKey: string; algorithm: string }>();
    assert.equal(body.algorithm, "RSA-OAEP-AES-KWP");
    assert.equal(body.datasetId, datasetId);
    return runtime.unwrap(body.wrappedKey);
  }

  function datasetDocument(kek: Kek, dek: Buffer, kwp = false): DatasetDocument {
    let wrappedDek: string;
    if (kwp) {
      const ephemeral = randomBytes(32);
      const cipher = createCipheriv(
        "id-aes256-wrap-pad",
        ephemeral,
        Buffer.from("A65959A6", "hex"),
      );
      wrappedDek = Buffer.concat([
        publicEncrypt(
          { key: kek.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          ephemeral,
        ),
        cipher.update(dek),
        cipher.final(),
      ]).toString("base64");
    } else {
      wrappedDek = publicEncrypt(
        { key: kek.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        dek,
      ).toString("base64");
    }
    return {
      schema: [
        { name: "customer_id", type: "string" },
        { name: "amount", type: "double" },
      ],
      allowedFields: ["customer_id", "amount"],
      location: { kind: "s3", region: "eu-west-1", bucket: "cleanroom-data", prefix: "x/" },
      format: "parquet",
      encryption: kwp
        ? { wrappedDek, kekId: kek.kekId, algorithm: "RSA-OAEP-AES-KWP" }
        : { wrappedDek, kekId: kek.kekId },
    };
  }

  async function publish(as: Identity, contract: string, datasetId: string, kwp = false) {
    const dek = randomBytes(32);
    deks.set(`${contract}/${datasetId}`, dek);
    const reply = await call(as, `/app/contracts/${contract}/datasets/${datasetId}`, "PUT", {
      document: datasetDocument(firstKek, dek, kwp),
    });
    assert.equal(reply.status, 201, reply.text);
  }

  const queryDocument = (inputs: string[], output: string): QueryDocument => ({
    sql: [{ statement: "SELECT customer_id, SUM(amount) AS total FROM v0 GROUP BY customer_id" }],
    inputs: inputs.map((datasetId, i) => ({ datasetId, view: `v${i}` })),
    output: { datasetId: output },
  });

  /** Proposes a query as `proposer` and has `approvers` accept it (with optional limits). */
  async function acceptedQuery(
    contract: string,
    queryId: string,
    document: QueryDocument,
    approvers: Identity[],
    limits: { expiresAt?: number } = {},
  ) {
    const base = `/app/contracts/${contract}/queries/${queryId}`;
    const proposed = await call(northwind, base, "PUT", { document });
    assert.equal(proposed.status, 201, proposed.text);
    for (const approver of approvers) {
      const reply = await call(approver, `${base}/approve`, "POST", { version: "1", ...limits });
      assert.equal(reply.status, 200, reply.text);
    }
  }

  function contractDocument(participants: Identity[], allowVirtual: boolean) {
    return {
      participants: participants.map((p, i) => ({ id: idOf(p.cert), kind: "user", name: `p${i}` })),
      policy: {
        measurements: allowVirtual ? [M_SNP, M_VIRT] : [M_SNP],
        hostData: [HOST],
        allowVirtual,
      },
      consentDefaults: { execution: true, logging: false, telemetry: false },
    };
  }

  before(async function () {
    this.timeout(120_000);
    const trust = (await generateSnpEvidence({})).trust;
    c = await startConsortium({ users: 4, snpTrust: trust });
    [northwind, woodgrove, fabrikam, outsider] = c.users as [
      Identity,
      Identity,
      Identity,
      Identity,
    ];
    [wg, fab] = [idOf(woodgrove.cert), idOf(fabrikam.cert)];

    const made = await call(c.members[0], "/app/keys", "POST", {});
    assert.equal(made.status, 201, made.text);
    firstKek = made.json<Kek>();

    await c.pass([
      {
        name: "set_contract",
        args: {
          contractId: A,
          version: "1.1",
          document: contractDocument([northwind, woodgrove, fabrikam], true),
        },
      },
    ]);
    await c.pass([
      {
        name: "set_contract",
        args: {
          contractId: B,
          version: "1.1",
          document: contractDocument([northwind, woodgrove], false),
        },
      },
    ]);
    await publish(northwind, A, "nw-sales");
    await publish(woodgrove, A, "wg-ads", true);
    await publish(woodgrove, A, "wg-out");
    await publish(northwind, A, "nw-other");
    await publish(northwind, B, "b-data");
    await publish(northwind, B, "b-out");
    await acceptedQuery(A, "q1", queryDocument(["nw-sales", "wg-ads"], "wg-out"), [
      northwind,
      woodgrove,
    ]);
    await acceptedQuery(B, "qb", queryDocument(["b-data"], "b-out"), [northwind]);
  });
  after(async () => c?.stop());

  describe("key-encryption keys", () => {
    it("are made inside governance by members; everyone authenticated reads public keys only", async () => {
      assert.equal(firstKek.generation, 1);
      assert.equal(firstKek.current, true);
      assert.match(firstKek.kekId, /^kek-1-[0-9a-f]{12}$/);
      assert.equal(createPublicKey(firstKek.publicKeyPem).asymmetricKeyType, "rsa");
      const again = await call(c.members[0], "/app/keys", "POST", {});
      assert.equal(again.status, 200, "the current generation's KEK is made once");
      assert.equal(again.json<Kek>().kekId, firstKek.kekId);
      expectError(await call(northwind, "/app/keys", "POST", {}), 403, "MemberRequired");
      expectError(await call(undefined, "/app/keys"), 401, "InvalidAuthenticationInfo");

      for (const path of ["/app/keys", `/app/keys/${firstKek.kekId}`, "/app/keys/current"]) {
        const reply = await call(outsider, path);
        assert.equal(reply.status, 200, reply.text);
        assert.doesNotMatch(reply.text, /PRIVATE KEY/);
      }
      const listed = (await call(northwind, "/app/keys")).json<{ value: Kek[] }>().value;
      assert.deepEqual(
        listed.map((k) => k.kekId),
        [firstKek.kekId],
      );
      expectError(await call(northwind, "/app/keys/kek-9-000000000000"), 404, "KekNotFound");
      const statementKey = await call(northwind, "/app/keys/statement");
      assert.equal(statementKey.status, 200, statementKey.text);
      const info = statementKey.json<{ publicKeyPem: string; algorithm: string }>();
      assert.equal(info.algorithm, "ES384");
      assert.equal(
        createPublicKey(info.publicKeyPem).asymmetricKeyDetails?.namedCurve,
        "secp384r1",
      );
    });

    it("rotate by proposal: a new generation's KEK; old KEKs stay for the datasets wrapped to them", async () => {
      await assert.rejects(
        c.pass([{ name: "rotate_kek", args: { generation: 5 } }]),
        /unknown argument/,
      );
      await c.pass([{ name: "rotate_kek", args: { reason: "yearly" } }]);
      expectError(await call(northwind, "/app/keys/current"), 404, "NoCurrentKek");
      const made = await call(c.members[0], "/app/keys", "POST", {});
      assert.equal(made.status, 201, made.text);
      const second = made.json<Kek>();
      assert.equal(second.generation, 2);
      assert.notEqual(second.kekId, firstKek.kekId);
      const listed = (await call(northwind, "/app/keys")).json<{ value: Kek[] }>().value;
      assert.deepEqual(
        listed.map((k) => [k.kekId, k.current]),
        [
          [firstKek.kekId, false],
          [second.kekId, true],
        ],
      );
      assert.equal((await call(northwind, "/app/keys/current")).json<Kek>().kekId, second.kekId);
      // The datasets published before the rotation are wrapped to the first KEK: their keys are
      // still released (the runs below obtain them).
      const old = await call(northwind, `/app/keys/${firstKek.kekId}`);
      assert.equal(old.json<Kek>().publicKeyPem, firstKek.publicKeyPem);
    });
  });

  describe("a run, end to end", () => {
    const runtime = new Runtime();
    let runId: string;

    it("is requested by the query's proposer or an approver only", async () => {
      expectError(await call(fabrikam, runs(A), "POST", { queryId: "q1" }), 403, "NotEntitled");
      expectError(await call(outsider, runs(A), "POST", { queryId: "q1" }), 403, "NotAParticipant");
      expectError(await call(northwind, runs(A), "POST", { queryId: "q9" }), 404, "QueryNotFound");
      expectError(await call(northwind, runs(A), "POST", { queryId: 7 }), 400, "InvalidRequest");
      expectError(
        await call(northwind, runs(A), "POST", { queryId: "q1", parameters: { region: "eu" } }),
        400,
        "InvalidParameters",
      );
      runId = await requestRun(A, "q1", woodgrove);
      assert.match(runId, /^[0-9a-f]{32}$/);
      const run = await getRun(A, runId);
      assert.equal(run.state, "Requested");
      assert.equal(run.queryVersion, "1");
      const listed = (await call(fabrikam, runs(A))).json<{ value: { runId: string }[] }>().value;
      assert.ok(listed.some((r) => r.runId === runId));
      expectError(await call(outsider, runs(A)), 403, "NotAParticipant");
      const trail = await events(A);
      const requested = trail.filter((e) => e.type === "run.requested" && e.subject === runId);
      assert.equal(requested.length, 1);
      assert.equal(requested[0]!.actor, wg);
    });

    it("hands out one outstanding nonce per run, anonymously", async () => {
      const first = await call(undefined, `${runs(A)}/${runId}/nonce`, "POST", {});
      assert.equal(first.status, 200, first.text);
      const body = first.json<{ nonce: string; expiresAt: string; runId: string }>();
      assert.match(body.nonce, /^[0-9a-f]{64}$/);
      assert.ok(Date.parse(body.expiresAt) > Date.now());
      const second = await call(undefined, `${runs(A)}/${runId}/nonce`, "POST", {});
      assert.equal(second.json<{ nonce: string }>().nonce, body.nonce);
      expectError(
        await call(undefined, `${runs(A)}/${"0".repeat(32)}/nonce`, "POST", {}),
        404,
        "RunNotFound",
      );
    });

    it("is claimed with virtual attestation where the contract allows it, bound to the runtime's key", async () => {
      const nonce = await nonceFor(A, runId);
      const reply = await claim(A, runId, {
        attestation: runtime.virtual(nonce),
        publicKeyPem: runtime.publicKeyPem,
        nonce,
      });
      assert.equal(reply.status, 200, reply.text);
      const claimed = reply.json<{
        state: string;
        query: { document: QueryDocument };
        datasets: { datasetId: string; role: string }[];
      }>();
      assert.equal(claimed.state, "Claimed");
      assert.deepEqual(claimed.query.document, queryDocument(["nw-sales", "wg-ads"], "wg-out"));
      assert.deepEqual(
        claimed.datasets.map((d) => [d.datasetId, d.role]),
        [
          ["nw-sales", "input"],
          ["wg-ads", "input"],
          ["wg-out", "output"],
        ],
      );
      const run = await getRun(A, runId);
      assert.equal(run.state, "Claimed");
      assert.deepEqual(
        { ...run.claim, claimedAt: undefined, keyDigest: undefined, attestationDigest: undefined },
        {
          platform: "virtual",
          measurement: M_VIRT,
          hostData: HOST,
          publicKeyPem: runtime.publicKeyPem,
          claimedAt: undefined,
          keyDigest: undefined,
          attestationDigest: undefined,
        },
      );
      const event = (await events(A)).filter((e) => e.type === "run.claimed").pop()!;
      assert.equal(event.subject, runId);
      assert.equal(event.details["measurement"], M_VIRT);
      assert.equal(
        event.details["keyDigest"],
        createHash("sha256").update(runtime.publicKeyPem).digest("hex"),
      );
    });

    it("obtains the key of every dataset its query reads or writes, wrapped to its key", async () => {
      for (const datasetId of ["nw-sales", "wg-ads", "wg-out"]) {
        const dek = await releasedKey(runtime, A, runId, datasetId);
        assert.deepEqual(dek, deks.get(`${A}/${datasetId}`), datasetId);
      }
      const released = (await events(A)).filter((e) => e.type === "key.released");
      assert.deepEqual(
        released.map((e) => [e.subject, e.details["role"], e.details["kekId"]]),
        [
          ["nw-sales", "input", firstKek.kekId],
          ["wg-ads", "input", firstKek.kekId],
          ["wg-out", "output", firstKek.kekId],
        ],
      );
      assert.ok(released.every((e) => e.actor === `runtime:${runId}`));
    });

    it("reports progress, refusing replayed reports", async () => {
      const body = (sequence: number) =>
        runtime.signed({
          contractId: A,
          runId,
          purpose: "progress",
          sequence,
          phase: "query",
          rowCounts: { "input:nw-sales": 120 },
          durationsMs: { load: 12 },
        });
      const reply = await call(undefined, `${runs(A)}/${runId}/progress`, "POST", body(1));
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json<{ state: string }>().state, "Running");
      await refused(
        A,
        runId,
        () => call(undefined, `${runs(A)}/${runId}/progress`, "POST", body(1)),
        409,
        "ReportReplayed",
        "run.progress",
      );
      const bad = runtime.signed({
        contractId: A,
        runId,
        purpose: "progress",
        sequence: 2,
        rowCounts: { x: -1 },
      });
      expectError(
        await call(undefined, `${runs(A)}/${runId}/progress`, "POST", bad),
        400,
        "InvalidPayload",
      );
      assert.equal((await getRun(A, runId)).progress?.sequence, 1);
    });

    it("completes with output digests, and governance signs a statement binding them to the run", async () => {
      const outputDigests = [
        {
          datasetId: "wg-out",
          object: "part-0000.enc",
          sha256: createHash("sha256").update("o").digest("hex"),
        },
      ];
      const stray = runtime.signed({
        contractId: A,
        runId,
        purpose: "complete",
        rowCounts: {},
        durationsMs: {},
        outputDigests: [{ ...outputDigests[0], datasetId: "nw-sales" }],
      });
      await refused(
        A,
        runId,
        () => call(undefined, `${runs(A)}/${runId}/complete`, "POST", stray),
        403,
        "OutputNotInQuery",
        "run.complete",
      );
      expectError(await call(northwind, `${runs(A)}/${runId}/statement`), 404, "StatementNotFound");

      const reply = await call(
        undefined,
        `${runs(A)}/${runId}/complete`,
        "POST",
        runtime.signed({
          contractId: A,
          runId,
          purpose: "complete",
          rowCounts: { output: 3 },
          durationsMs: { total: 40 },
          outputDigests,
        }),
      );
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json<{ state: string }>().state, "Completed");

      const fetched = await call(fabrikam, `${runs(A)}/${runId}/statement`);
      assert.equal(fetched.status, 200, fetched.text);
      const signed = fetched.json<{
        statement: string;
        signature: string;
        publicKeyPem: string;
        transactionId: string;
      }>();
      assert.equal(signed.transactionId, txOf(reply), "the transaction that recorded it");
      const served = (await call(outsider, "/app/keys/statement")).json<{ publicKeyPem: string }>();
      assert.equal(signed.publicKeyPem, served.publicKeyPem);
      const ok = verify(
        "sha384",
        Buffer.from(signed.statement),
        { key: createPublicKey(signed.publicKeyPem), dsaEncoding: "ieee-p1363" },
        Buffer.from(signed.signature, "base64"),
      );
      assert.equal(ok, true, "ES384 signature over the statement text");
      const tampered = signed.statement.replace('"wg-out"', '"wg-oot"');
      assert.equal(
        verify(
          "sha384",
          Buffer.from(tampered),
          { key: createPublicKey(signed.publicKeyPem), dsaEncoding: "ieee-p1363" },
          Buffer.from(signed.signature, "base64"),
        ),
        false,
      );
      const statement = JSON.parse(signed.statement) as Record<string, unknown>;
      const run = await getRun(A, runId);
      const datasetVersion = async (datasetId: string) =>
        (await call(northwind, `/app/contracts/${A}/datasets/${datasetId}`)).json<{
          version: string;
        }>().version;
      assert.deepEqual(
        { ...statement, completedAt: undefined },
        {
          contractId: A,
          runId,
          queryId: "q1",
          queryVersion: "1",
          inputs: [
            { datasetId: "nw-sales", view: "v0", datasetVersion: await datasetVersion("nw-sales") },
            { datasetId: "wg-ads", view: "v1", datasetVersion: await datasetVersion("wg-ads") },
          ],
          outputDigests,
          platform: "virtual",
          measurement: M_VIRT,
          hostData: HOST,
          attestationDigest: run.claim?.attestationDigest,
          completedAt: undefined,
        },
      );
      assert.ok(Date.parse(String(statement["completedAt"])) <= Date.now());
      const completed = (await events(A)).filter((e) => e.type === "run.completed").pop()!;
      assert.equal(
        completed.details["statementDigest"],
        createHash("sha256").update(signed.statement).digest("hex"),
      );
    });

    it("takes no more requests once finished", async () => {
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "nw-sales"),
        409,
        "RunFinished",
        "key",
      );
    });

    it("is claimed with SEV-SNP evidence (measurement, host data, report data binding key and nonce)", async function () {
      this.timeout(60_000);
      const snpRuntime = new Runtime();
      const snpRun = await requestRun(A, "q1");
      const nonce = await nonceFor(A, snpRun);
      const reply = await claim(A, snpRun, {
        attestation: await snpRuntime.snp(nonce),
        publicKeyPem: snpRuntime.publicKeyPem,
        nonce,
      });
      assert.equal(reply.status, 200, reply.text);
      const run = await getRun(A, snpRun);
      assert.equal(run.claim?.platform, "snp");
      assert.equal(run.claim?.measurement, M_SNP);
      assert.equal(run.claim?.hostData, HOST);
      const dek = await releasedKey(snpRuntime, A, snpRun, "wg-ads");
      assert.deepEqual(dek, deks.get(`${A}/wg-ads`));
      const failed = await call(
        undefined,
        `${runs(A)}/${snpRun}/fail`,
        "POST",
        snpRuntime.signed({
          contractId: A,
          runId: snpRun,
          purpose: "fail",
          reason: "DuckDB ran out of memory",
        }),
      );
      assert.equal(failed.status, 200, failed.text);
      assert.equal((await getRun(A, snpRun)).state, "Failed");
      const event = (await events(A)).pop()!;
      assert.equal(event.type, "run.failed");
      assert.equal(event.details["reason"], "DuckDB ran out of memory");
    });
  });

  describe("access grants", () => {
    const runtime = new Runtime();
    let runId: string;
    const sas = "sv=2024-11-04&sr=c&sp=rl&se=2030-01-01&sig=" + randomBytes(16).toString("hex");
    const secrets = (contract = A) => `/app/contracts/${contract}/secrets`;

    before(async () => {
      runId = await claimedRun(runtime);
    });

    it("are stored by an owner, listed by it alone, never read back", async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const stored = await call(woodgrove, `${secrets()}/ads-container`, "PUT", {
        value: sas,
        kind: "azure-sas",
        expiresAt,
      });
      assert.equal(stored.status, 201, stored.text);
      const meta = stored.json<{ secretId: string; kind: string; expiresAt: string }>();
      assert.equal(meta.secretId, `${wg}:ads-container`);
      assert.equal(meta.kind, "azure-sas");
      assert.equal(Date.parse(meta.expiresAt), Date.parse(expiresAt));
      assert.doesNotMatch(stored.text, /sig=/);

      const listed = await call(woodgrove, secrets());
      assert.equal(listed.status, 200, listed.text);
      const items = listed.json<{ value: { secretId: string; version: string }[] }>().value;
      assert.deepEqual(
        items.map((i) => i.secretId),
        [`${wg}:ads-container`],
      );
      assert.doesNotMatch(listed.text, /sig=/);
      assert.deepEqual((await call(northwind, secrets())).json<{ value: unknown[] }>().value, []);
      expectError(await call(outsider, secrets()), 403, "NotAParticipant");
      // There is no way to read a value back.
      const read = await call(woodgrove, `${secrets()}/ads-container`);
      assert.ok(read.status === 404 || read.status === 405, `read back: ${read.status}`);
      assert.doesNotMatch(read.text, /sig=/);
      // Replacing needs the current version.
      expectError(
        await call(woodgrove, `${secrets()}/ads-container`, "PUT", {
          value: sas,
          kind: "azure-sas",
        }),
        409,
        "VersionRequired",
      );
      const replaced = await call(woodgrove, `${secrets()}/ads-container`, "PUT", {
        value: sas,
        kind: "azure-sas",
        version: items[0]!.version,
      });
      assert.equal(replaced.status, 200, replaced.text);
      for (const [body, code] of [
        [{ kind: "azure-sas" }, "ValueMissing"],
        [{ value: "x".repeat(25601), kind: "azure-sas" }, "ValueTooLarge"],
        [{ value: "x", kind: "password" }, "InvalidKind"],
        [{ value: "x", kind: "generic", expiresAt: "2001-01-01T00:00:00Z" }, "InvalidExpiry"],
        [{ value: "x", kind: "generic", expiresAt: "soon" }, "InvalidExpiry"],
      ] as const) {
        expectError(await call(woodgrove, `${secrets()}/other`, "PUT", body), 400, code);
      }
      expectError(
        await call(woodgrove, `${secrets()}/a:b`, "PUT", { value: "x", kind: "generic" }),
        400,
        "InvalidName",
      );
      const trail = await events(A);
      assert.ok(
        trail.some((e) => e.type === "secret.stored" && e.subject === `${wg}:ads-container`),
      );
      assert.ok(
        trail.every((e) => !JSON.stringify(e).includes("sig=")),
        "no value in the trail",
      );
    });

    it("are released to an attested run whose query touches the owner's data, wrapped to its key", async () => {
      const secretId = `${wg}:ads-container`;
      const reply = await call(
        undefined,
        `${runs(A)}/${runId}/secrets/${encodeURIComponent(secretId)}`,
        "POST",
        runtime.signed({ contractId: A, runId, purpose: "secret", secretId }),
      );
      assert.equal(reply.status, 200, reply.text);
      const body = reply.json<{ wrappedValue: string; kind: string; secretId: string }>();
      assert.equal(body.kind, "azure-sas");
      assert.equal(runtime.unwrap(body.wrappedValue).toString("utf8"), sas);
      const event = (await events(A)).pop()!;
      assert.equal(event.type, "secret.released");
      assert.equal(event.details["secretId"], secretId);
    });

    it("are refused for a grant whose owner owns none of the query's datasets", async () => {
      const stored = await call(fabrikam, `${secrets()}/fab-bucket`, "PUT", {
        value: "AKIA…/secret",
        kind: "s3-credentials",
      });
      assert.equal(stored.status, 201, stored.text);
      const secretId = `${fab}:fab-bucket`;
      await refused(
        A,
        runId,
        () =>
          call(
            undefined,
            `${runs(A)}/${runId}/secrets/${encodeURIComponent(secretId)}`,
            "POST",
            runtime.signed({ contractId: A, runId, purpose: "secret", secretId }),
          ),
        403,
        "SecretNotForRun",
        "secret",
      );
    });

    it("are deleted by their owner only, and then no longer released", async () => {
      expectError(
        await call(northwind, `${secrets()}/ads-container`, "DELETE"),
        404,
        "SecretNotFound",
      );
      expectError(
        await call(woodgrove, `${secrets()}/ads-container?version=1.1`, "DELETE"),
        412,
        "PreconditionFailed",
      );
      const deleted = await call(woodgrove, `${secrets()}/ads-container`, "DELETE");
      assert.equal(deleted.status, 204, deleted.text);
      assert.deepEqual((await call(woodgrove, secrets())).json<{ value: unknown[] }>().value, []);
      const secretId = `${wg}:ads-container`;
      await refused(
        A,
        runId,
        () =>
          call(
            undefined,
            `${runs(A)}/${runId}/secrets/${encodeURIComponent(secretId)}`,
            "POST",
            runtime.signed({ contractId: A, runId, purpose: "secret", secretId }),
          ),
        404,
        "SecretNotFound",
        "secret",
      );
      const again = await call(woodgrove, `${secrets()}/ads-container`, "PUT", {
        value: sas,
        kind: "azure-sas",
      });
      assert.equal(again.status, 201, again.text);
      const items = (await call(woodgrove, secrets())).json<{ value: { secretId: string }[] }>()
        .value;
      assert.equal(items.length, 1, "listed once after being stored again");
    });
  });

  describe("refusals of a claim", () => {
    const runtime = new Runtime();
    let runId: string;
    let nonce: string;

    before(async () => {
      runId = await requestRun(A, "q1");
      nonce = await nonceFor(A, runId);
    });

    const claimWith =
      (attestation: Attestation, overrides: object = {}) =>
      () =>
        claim(A, runId, { attestation, publicKeyPem: runtime.publicKeyPem, nonce, ...overrides });

    it("virtual attestation where the contract does not allow it", async () => {
      const strictRun = await requestRun(B, "qb");
      const strictNonce = await nonceFor(B, strictRun);
      await refused(
        B,
        strictRun,
        () =>
          claim(B, strictRun, {
            attestation: runtime.virtual(strictNonce, { measurement: M_SNP }),
            publicKeyPem: runtime.publicKeyPem,
            nonce: strictNonce,
          }),
        403,
        "VirtualAttestationNotAllowed",
        "run.claim",
      );
    });

    it("a wrong measurement (virtual and SEV-SNP)", async function () {
      this.timeout(30_000);
      await refused(
        A,
        runId,
        claimWith(runtime.virtual(nonce, { measurement: "01".repeat(48) })),
        403,
        "MeasurementNotAllowed",
        "run.claim",
      );
      const snp = await runtime.snp(nonce, { measurement: "02".repeat(48) });
      await refused(A, runId, claimWith(snp), 403, "MeasurementNotAllowed", "run.claim");
    });

    it("wrong host data (SEV-SNP, and virtual evidence with none)", async function () {
      this.timeout(30_000);
      const snp = await runtime.snp(nonce, { hostData: "00".repeat(32) });
      await refused(A, runId, claimWith(snp), 403, "HostDataNotAllowed", "run.claim");
      await refused(
        A,
        runId,
        claimWith(runtime.virtual(nonce, { hostData: null })),
        403,
        "HostDataNotAllowed",
        "run.claim",
      );
    });

    it("report data that does not bind the presented key, or the nonce", async function () {
      this.timeout(30_000);
      const other = new Runtime();
      const forOtherKey = runtime.virtual(nonce, { reportData: other.reportData(nonce) });
      await refused(A, runId, claimWith(forOtherKey), 403, "ReportDataMismatch", "run.claim");
      const snp = await runtime.snp(nonce, { reportData: other.reportData(nonce) });
      await refused(A, runId, claimWith(snp), 403, "ReportDataMismatch", "run.claim");
      // Evidence made for this key but presented with another key.
      await refused(
        A,
        runId,
        claimWith(runtime.virtual(nonce), { publicKeyPem: other.publicKeyPem }),
        403,
        "ReportDataMismatch",
        "run.claim",
      );
      const otherNonce = runtime.virtual(nonce, {
        reportData: runtime.reportData("another nonce"),
      });
      await refused(A, runId, claimWith(otherNonce), 403, "ReportDataMismatch", "run.claim");
    });

    it("SEV-SNP evidence that does not verify", async function () {
      this.timeout(30_000);
      const tampered = await runtime.snp(nonce, {}, true);
      const message = await refused(
        A,
        runId,
        claimWith(tampered),
        403,
        "AttestationInvalid",
        "run.claim",
      );
      assert.match(message, /does not verify/);
      const garbage = { platform: "snp", evidence: "AAAA", endorsements: "AAAA" } as Attestation;
      await refused(A, runId, claimWith(garbage), 403, "AttestationInvalid", "run.claim");
    });

    it("a nonce not issued for this run, and malformed claims", async () => {
      const otherRun = await requestRun(A, "q1");
      const otherNonce = await nonceFor(A, otherRun);
      await refused(
        A,
        runId,
        claimWith(runtime.virtual(otherNonce), { nonce: otherNonce }),
        403,
        "NonceUnknown",
        "run.claim",
      );
      await refused(
        A,
        runId,
        claimWith(runtime.virtual(nonce), {
          publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        }),
        400,
        "InvalidPublicKey",
        "run.claim",
      );
      await refused(A, runId, () => claim(A, runId, { nonce }), 400, "InvalidRequest", "run.claim");
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" })
        .publicKey.export({ type: "spki", format: "pem" })
        .toString();
      await refused(
        A,
        runId,
        claimWith(runtime.virtual(nonce, { reportData: reportData(ec, nonce, sha256) }), {
          publicKeyPem: ec,
        }),
        400,
        "InvalidPublicKey",
        "run.claim",
      );
    });

    it("after all those refusals the run is unclaimed and its nonce still claims it, once", async () => {
      assert.equal((await getRun(A, runId)).state, "Requested");
      const reply = await claimWith(runtime.virtual(nonce))();
      assert.equal(reply.status, 200, reply.text);
      // The same claim again: the nonce is used.
      await refused(A, runId, claimWith(runtime.virtual(nonce)), 403, "NonceUsed", "run.claim");
      const intruder = new Runtime();
      await refused(
        A,
        runId,
        () =>
          claim(A, runId, {
            attestation: intruder.virtual(nonce),
            publicKeyPem: intruder.publicKeyPem,
            nonce,
          }),
        403,
        "NonceUsed",
        "run.claim",
      );
      assert.equal((await getRun(A, runId)).claim?.publicKeyPem, runtime.publicKeyPem);
      // A claimed run issues no more nonces.
      await refused(
        A,
        runId,
        () => call(undefined, `${runs(A)}/${runId}/nonce`, "POST", {}),
        409,
        "RunAlreadyClaimed",
        "run.nonce",
      );
    });

    it("a stale nonce", async function () {
      this.timeout(30_000);
      await c.pass([{ name: "set_key_release_policy", args: { nonceLifetimeSeconds: 1 } }]);
      try {
        const staleRun = await requestRun(A, "q1");
        const stale = await nonceFor(A, staleRun);
        await sleep(1500);
        await refused(
          A,
          staleRun,
          () =>
            claim(A, staleRun, {
              attestation: runtime.virtual(stale),
              publicKeyPem: runtime.publicKeyPem,
              nonce: stale,
            }),
          403,
          "NonceExpired",
          "run.claim",
        );
        const fresh = await nonceFor(A, staleRun);
        assert.notEqual(fresh, stale, "an expired nonce is replaced");
      } finally {
        await c.pass([{ name: "set_key_release_policy", args: { nonceLifetimeSeconds: 300 } }]);
      }
      await assert.rejects(
        c.pass([{ name: "set_key_release_policy", args: { nonceLifetimeSeconds: 0 } }]),
        /between 1 and 3600/,
      );
    });
  });

  describe("refusals of a key release", () => {
    const runtime = new Runtime();
    let runId: string;

    before(async () => {
      runId = await claimedRun(runtime);
    });

    it("before the run is claimed", async () => {
      const unclaimed = await requestRun(A, "q1");
      await refused(
        A,
        unclaimed,
        () => keyRequest(runtime, A, unclaimed, "nw-sales"),
        409,
        "RunNotClaimed",
        "key",
      );
    });

    it("a bad signature: another key, a tampered payload, garbage", async () => {
      const other = new Runtime();
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "nw-sales", undefined, other.privateKey),
        403,
        "SignatureInvalid",
        "key",
      );
      const good = runtime.signed({ contractId: A, runId, purpose: "key", datasetId: "nw-sales" });
      const tampered = { ...good, payload: good.payload.replace("nw-sales", "wg-ads ") };
      await refused(
        A,
        runId,
        () => call(undefined, `${runs(A)}/${runId}/keys/wg-ads`, "POST", tampered),
        403,
        "SignatureInvalid",
        "key",
      );
      await refused(
        A,
        runId,
        () =>
          call(undefined, `${runs(A)}/${runId}/keys/nw-sales`, "POST", {
            ...good,
            signature: "AAAA",
          }),
        403,
        "SignatureInvalid",
        "key",
      );
      await refused(
        A,
        runId,
        () =>
          call(undefined, `${runs(A)}/${runId}/keys/nw-sales`, "POST", { payload: good.payload }),
        400,
        "InvalidRequest",
        "key",
      );
    });

    it("a payload signed for another dataset or purpose", async () => {
      const forAds = { contractId: A, runId, purpose: "key", datasetId: "wg-ads" };
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "nw-sales", forAds),
        403,
        "PayloadMismatch",
        "key",
      );
      const progress = { contractId: A, runId, purpose: "progress", datasetId: "nw-sales" };
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "nw-sales", progress),
        403,
        "PayloadMismatch",
        "key",
      );
    });

    it("a dataset the query neither reads nor writes", async () => {
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "nw-other"),
        403,
        "DatasetNotInQuery",
        "key",
      );
    });

    it("the wrong contract", async () => {
      // A payload naming the other contract.
      const forB = { contractId: B, runId, purpose: "key", datasetId: "nw-sales" };
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "nw-sales", forB),
        403,
        "PayloadMismatch",
        "key",
      );
      // The other contract's dataset, asked for by this contract's run.
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "b-data"),
        403,
        "DatasetNotInQuery",
        "key",
      );
      // This contract's run at the other contract's URL: no such run there (and, naming no run
      // of B, no event in B's trail: strangers cannot grow a trail).
      const trailB = (await events(B)).length;
      expectError(
        await keyRequest(runtime, B, runId, "b-data", {
          contractId: B,
          runId,
          purpose: "key",
          datasetId: "b-data",
        }),
        404,
        "RunNotFound",
      );
      assert.equal((await events(B)).length, trailB);
      // A run of B claimed by another runtime: this runtime's signature does not serve it.
      const other = new Runtime();
      const runB = await claimedRunB(other);
      await refused(
        B,
        runB,
        () =>
          keyRequest(runtime, B, runB, "b-data", {
            contractId: B,
            runId: runB,
            purpose: "key",
            datasetId: "b-data",
          }),
        403,
        "SignatureInvalid",
        "key",
      );
    });

    /** A run of B claimed with SEV-SNP evidence (B accepts no virtual attestation). */
    async function claimedRunB(runtime: Runtime): Promise<string> {
      const id = await requestRun(B, "qb");
      const nonce = await nonceFor(B, id);
      const reply = await claim(B, id, {
        attestation: await runtime.snp(nonce),
        publicKeyPem: runtime.publicKeyPem,
        nonce,
      });
      assert.equal(reply.status, 200, reply.text);
      return id;
    }

    it("a replay for another run (another key, or the same key)", async () => {
      const forThisRun = runtime.signed({
        contractId: A,
        runId,
        purpose: "key",
        datasetId: "nw-sales",
      });
      const other = new Runtime();
      const otherRun = await claimedRun(other);
      await refused(
        A,
        otherRun,
        () => call(undefined, `${runs(A)}/${otherRun}/keys/nw-sales`, "POST", forThisRun),
        403,
        "SignatureInvalid",
        "key",
      );
      // The same runtime key bound to a second run: the payload names the first run.
      const sameKeyRun = await claimedRun(runtime);
      await refused(
        A,
        sameKeyRun,
        () => call(undefined, `${runs(A)}/${sameKeyRun}/keys/nw-sales`, "POST", forThisRun),
        403,
        "PayloadMismatch",
        "key",
      );
      // …and the payload still serves the run it names.
      assert.deepEqual(await releasedKey(runtime, A, runId, "nw-sales"), deks.get(`${A}/nw-sales`));
    });

    it("consent off: a dataset owner's, an approver's for the query, the members' for the contract", async () => {
      const consent = (as: Identity, path: string, body: object) =>
        call(as, `/app/contracts/${A}/consent/${path}`, "PUT", body);
      const off = await consent(northwind, "datasets/nw-sales", { execution: false });
      assert.equal(off.status, 200, off.text);
      // Every key of the query is refused, not only nw-sales's.
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "wg-ads"),
        403,
        "DatasetConsentOff",
        "key",
      );
      const on = await consent(northwind, "datasets/nw-sales", {
        execution: true,
        version: txOf(off),
      });
      assert.equal(on.status, 200, on.text);
      assert.deepEqual(await releasedKey(runtime, A, runId, "wg-ads"), deks.get(`${A}/wg-ads`));

      const queryOff = await consent(woodgrove, "queries/q1", { execution: false });
      assert.equal(queryOff.status, 200, queryOff.text);
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "nw-sales"),
        403,
        "QueryConsentOff",
        "key",
      );
      const queryOn = await consent(woodgrove, "queries/q1", {
        execution: true,
        version: txOf(queryOff),
      });
      assert.equal(queryOn.status, 200, queryOn.text);

      await c.pass([{ name: "set_contract_switch", args: { contractId: A, execution: false } }]);
      await refused(
        A,
        runId,
        () => keyRequest(runtime, A, runId, "nw-sales"),
        403,
        "ContractExecutionOff",
        "key",
      );
      await c.pass([{ name: "set_contract_switch", args: { contractId: A, execution: true } }]);
      assert.deepEqual(await releasedKey(runtime, A, runId, "nw-sales"), deks.get(`${A}/nw-sales`));
    });

    it("a query version no longer Accepted (withdrawn)", async () => {
      await acceptedQuery(A, "q-withdrawn", queryDocument(["nw-sales"], "wg-out"), [
        northwind,
        woodgrove,
      ]);
      const run = await claimedRun(runtime, A, "q-withdrawn");
      assert.deepEqual(await releasedKey(runtime, A, run, "nw-sales"), deks.get(`${A}/nw-sales`));
      const withdrawn = await call(
        northwind,
        `/app/contracts/${A}/queries/q-withdrawn/withdraw`,
        "POST",
        {},
      );
      assert.equal(withdrawn.status, 200, withdrawn.text);
      await refused(
        A,
        run,
        () => keyRequest(runtime, A, run, "nw-sales"),
        409,
        "QueryNotAccepted",
        "key",
      );
      // Nor is a new run requested for it.
      expectError(
        await call(northwind, runs(A), "POST", { queryId: "q-withdrawn" }),
        409,
        "QueryNotAccepted",
      );
      const last = (await events(A)).pop()!;
      assert.equal(last.type, "run.request.refused");
      assert.equal(last.details["code"], "QueryNotAccepted");
    });

    it("a query version whose approval expired, and an expired access grant", async function () {
      this.timeout(30_000);
      const expiresAt = nowSeconds() + 3;
      await acceptedQuery(A, "q-expiring", queryDocument(["wg-ads"], "wg-out"), [woodgrove], {
        expiresAt,
      });
      const run = await claimedRun(runtime, A, "q-expiring");
      assert.deepEqual(await releasedKey(runtime, A, run, "wg-ads"), deks.get(`${A}/wg-ads`));
      const grant = await call(woodgrove, `/app/contracts/${A}/secrets/short-lived`, "PUT", {
        value: "short",
        kind: "generic",
        expiresAt: new Date((expiresAt + 0.5) * 1000).toISOString(),
      });
      assert.equal(grant.status, 201, grant.text);
      await sleep(Math.max(0, (expiresAt + 1) * 1000 - Date.now()));
      await refused(
        A,
        run,
        () => keyRequest(runtime, A, run, "wg-ads"),
        410,
        "ApprovalExpired",
        "key",
      );
      const secretId = `${wg}:short-lived`;
      await refused(
        A,
        runId,
        () =>
          call(
            undefined,
            `${runs(A)}/${runId}/secrets/${encodeURIComponent(secretId)}`,
            "POST",
            runtime.signed({ contractId: A, runId, purpose: "secret", secretId }),
          ),
        403,
        "SecretExpired",
        "secret",
      );
    });

    it("a policy that no longer admits the bound clean room", async () => {
      // Members accept a new version of B's contract without the measurement B's run attested.
      const other = new Runtime();
      const runB = await claimedRunB(other);
      assert.deepEqual(await releasedKey(other, B, runB, "b-data"), deks.get(`${B}/b-data`));
      const document = contractDocument([northwind, woodgrove], false);
      document.policy.measurements = ["99".repeat(48)];
      await c.pass([
        { name: "set_contract", args: { contractId: B, version: "1.999999", document } },
      ]);
      await refused(
        B,
        runB,
        () =>
          keyRequest(other, B, runB, "b-data", {
            contractId: B,
            runId: runB,
            purpose: "key",
            datasetId: "b-data",
          }),
        403,
        "MeasurementNotAllowed",
        "key",
      );
    });
  });
});
