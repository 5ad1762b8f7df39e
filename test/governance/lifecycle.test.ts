/**
 * The whole lifecycle, as the three personas of the demo would drive it: an operator (the only
 * member) invites northwind and woodgrove; they accept with their own keys; the operator agrees
 * the contract; each publishes encrypted datasets; woodgrove proposes a query and both approve
 * it; a clean room claims the run with (virtual) attestation, obtains exactly the keys and a
 * token it needs, and completes with a signed statement; northwind then switches consent off and
 * the next key request fails with that reason; the audit trail shows it all, with receipts.
 */
import assert from "node:assert/strict";
import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";
import { constants, publicEncrypt } from "node:crypto";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import type { DatasetDocument } from "../../contracts/src/dataset.js";
import type { Identity, Reply } from "../support/client.js";
import { idOf, type Member } from "../support/gov.js";
import { verifyReceipt, type ReceiptJson } from "../support/receipt-verifier.js";
import { newIdentity, startConsortium, type Consortium } from "./consortium.js";
import { HOST, M_VIRT, Runtime } from "./runtime-sim.js";

const CONTRACT = "analytics";
const ISSUER = "https://issuer.example/cleanroom";
const AUDIENCE = "api://storage.example";
const TX_HEADER = "x-ms-ccf-transaction-id";

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

describe("governance app: the lifecycle with an operator and two collaborators", function () {
  this.timeout(120_000);
  let c: Consortium;
  let operator: Member;
  let northwind: Identity;
  let woodgrove: Identity;
  let kek: { kekId: string; publicKeyPem: string };
  const deks = new Map<string, Buffer>();
  const base = `/app/contracts/${CONTRACT}`;

  const ok = (reply: Reply, status = 200): Reply => {
    assert.equal(reply.status, status, reply.text);
    return reply;
  };
  const call = (as: Identity | undefined, path: string, method = "GET", body?: object) =>
    c.call(as, path, body === undefined ? { method } : { method, body });

  before(async () => {
    c = await startConsortium({ members: 1, users: 0 });
    operator = c.members[0]!;
    northwind = await newIdentity("northwind");
    woodgrove = await newIdentity("woodgrove");
  });
  after(async () => c?.stop());

  it("1. the operator invites northwind and woodgrove, who accept with their own keys", async () => {
    for (const [name, identity] of [
      ["northwind", northwind],
      ["woodgrove", woodgrove],
    ] as const) {
      const code = randomBytes(32).toString("hex");
      await c.pass([
        {
          name: "invite",
          args: {
            invitationId: name,
            role: "user",
            displayName: name,
            expiresAt: Math.floor(Date.now() / 1000) + 3600,
            codeHash: sha256Hex(code),
          },
        },
      ]);
      ok(await call(identity, `/app/invitations/${name}/accept`, "POST", { code }), 201);
      const me = (await call(identity, "/app/me")).json<{ kind: string; id: string }>();
      assert.deepEqual([me.kind, me.id], ["user", idOf(identity.cert)]);
    }
  });

  it("2. the operator agrees the contract, which allows virtual attestation", async () => {
    const document = {
      description: "Audience overlap between northwind and woodgrove",
      participants: [
        { id: idOf(northwind.cert), kind: "user", name: "northwind" },
        { id: idOf(woodgrove.cert), kind: "user", name: "woodgrove" },
      ],
      policy: { measurements: [M_VIRT], hostData: [HOST], allowVirtual: true },
      consentDefaults: { execution: true, logging: false, telemetry: false },
      tokenPolicy: { audiences: [AUDIENCE], maxLifetimeSeconds: 600 },
    };
    const draft = ok(await call(operator, base, "PUT", { document }), 201);
    const version = String(draft.headers[TX_HEADER]);
    const proposal = await c.gov.propose(operator, [
      { name: "set_contract", args: { contractId: CONTRACT, version, document } },
    ]);
    assert.equal(proposal.json<{ proposalState: string }>().proposalState, "Accepted");
    const contract = (await call(northwind, base)).json<{ state: string }>();
    assert.equal(contract.state, "Accepted");
  });

  it("3. governance makes a KEK and an OIDC issuer key; the collaborators publish datasets", async () => {
    kek = ok(await call(operator, "/app/keys", "POST", {}), 201).json();
    await c.pass([{ name: "enable_oidc_issuer", args: { issuerUrl: ISSUER } }]);
    ok(await call(operator, "/app/oidc/signing-keys", "POST", {}), 201);

    const publish = async (owner: Identity, datasetId: string, location: object) => {
      const dek = randomBytes(32);
      deks.set(datasetId, dek);
      const document: DatasetDocument = {
        schema: [
          { name: "customer_key", type: "string" },
          { name: "segment", type: "string" },
        ],
        allowedFields: ["customer_key", "segment"],
        location: location as DatasetDocument["location"],
        format: "csv",
        encryption: {
          kekId: kek.kekId,
          wrappedDek: publicEncrypt(
            {
              key: kek.publicKeyPem,
              padding: constants.RSA_PKCS1_OAEP_PADDING,
              oaepHash: "sha256",
            },
            dek,
          ).toString("base64"),
        },
      };
      ok(await call(owner, `${base}/datasets/${datasetId}`, "PUT", { document }), 201);
    };
    await publish(northwind, "northwind-audience", {
      kind: "azure-blob",
      accountUrl: "https://northwind.blob.core.windows.net",
      container: "audience",
    });
    await publish(woodgrove, "woodgrove-customers", { kind: "s3", bucket: "woodgrove-in" });
    await publish(woodgrove, "woodgrove-output", { kind: "s3", bucket: "woodgrove-out" });
  });

  it("4. woodgrove proposes the query; it is Accepted only once both owners approve", async () => {
    const document = {
      sql: [
        {
          statement:
            "SELECT a.segment, COUNT(*) AS overlap FROM audience a JOIN customers c ON a.customer_key = c.customer_key GROUP BY a.segment",
        },
      ],
      inputs: [
        { datasetId: "northwind-audience", view: "audience" },
        { datasetId: "woodgrove-customers", view: "customers" },
      ],
      output: { datasetId: "woodgrove-output" },
      thresholds: { minGroupSize: 10 },
    };
    ok(await call(woodgrove, `${base}/queries/overlap`, "PUT", { document }), 201);
    const stateOf = async () =>
      (await call(woodgrove, `${base}/queries/overlap`)).json<{
        versions: { version: string; state: string }[];
      }>().versions[0]!.state;
    ok(await call(woodgrove, `${base}/queries/overlap/approve`, "POST", { version: "1" }));
    assert.equal(await stateOf(), "Proposed");
    ok(await call(northwind, `${base}/queries/overlap/approve`, "POST", { version: "1" }));
    assert.equal(await stateOf(), "Accepted");
  });

  let runtime: Runtime;
  let runId: string;

  it("5. an attested clean room runs it: keys, a token and a signed statement", async () => {
    runId = ok(await call(woodgrove, `${base}/runs`, "POST", { queryId: "overlap" }), 201).json<{
      runId: string;
    }>().runId;
    runtime = new Runtime();
    const { nonce } = ok(await call(undefined, `${base}/runs/${runId}/nonce`, "POST", {})).json<{
      nonce: string;
    }>();
    ok(
      await call(undefined, `${base}/runs/${runId}/claim`, "POST", {
        attestation: runtime.virtual(nonce),
        publicKeyPem: runtime.publicKeyPem,
        nonce,
      }),
    );

    for (const datasetId of deks.keys()) {
      const payload = { contractId: CONTRACT, runId, purpose: "key", datasetId };
      const reply = ok(
        await call(
          undefined,
          `${base}/runs/${runId}/keys/${datasetId}`,
          "POST",
          runtime.signed(payload),
        ),
      );
      assert.deepEqual(
        runtime.unwrap(reply.json<{ wrappedKey: string }>().wrappedKey),
        deks.get(datasetId),
      );
    }

    const tokenPayload = { contractId: CONTRACT, runId, purpose: "token", audience: AUDIENCE };
    const tokenReply = ok(
      await call(undefined, `${base}/oidc/token`, "POST", runtime.signed(tokenPayload)),
    );
    const token = runtime
      .unwrap(tokenReply.json<{ wrappedToken: string }>().wrappedToken)
      .toString("utf8");
    const discovery = (await call(undefined, "/app/oidc/.well-known/openid-configuration")).json<{
      issuer: string;
    }>();
    const jwks = (await call(undefined, "/app/oidc/keys")).json<JSONWebKeySet>();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: discovery.issuer,
      audience: AUDIENCE,
    });
    assert.equal(payload.sub, `contract:${CONTRACT}:run:${runId}`);

    const digest = "ab".repeat(32);
    const complete = {
      contractId: CONTRACT,
      runId,
      purpose: "complete",
      rowCounts: { audience: 1000, customers: 800, output: 12 },
      durationsMs: { query: 40 },
      outputDigests: [{ datasetId: "woodgrove-output", object: "part-0.csv", sha256: digest }],
    };
    ok(await call(undefined, `${base}/runs/${runId}/complete`, "POST", runtime.signed(complete)));
    const statement = ok(await call(woodgrove, `${base}/runs/${runId}/statement`)).json<{
      statement: string;
      signature: string;
      publicKeyPem: string;
    }>();
    const signed = verify(
      "sha384",
      Buffer.from(statement.statement),
      { key: createPublicKey(statement.publicKeyPem), dsaEncoding: "ieee-p1363" },
      Buffer.from(statement.signature, "base64"),
    );
    assert.ok(signed, "the run statement verifies with governance's statement key");
    assert.ok(statement.statement.includes(digest));
  });

  it("6. northwind switches consent off: the next key request fails with that reason", async () => {
    const second = ok(
      await call(woodgrove, `${base}/runs`, "POST", { queryId: "overlap" }),
      201,
    ).json<{
      runId: string;
    }>().runId;
    const next = new Runtime();
    const { nonce } = ok(await call(undefined, `${base}/runs/${second}/nonce`, "POST", {})).json<{
      nonce: string;
    }>();
    ok(
      await call(undefined, `${base}/runs/${second}/claim`, "POST", {
        attestation: next.virtual(nonce),
        publicKeyPem: next.publicKeyPem,
        nonce,
      }),
    );
    ok(
      await call(northwind, `${base}/consent/datasets/northwind-audience`, "PUT", {
        execution: false,
      }),
    );
    const payload = {
      contractId: CONTRACT,
      runId: second,
      purpose: "key",
      datasetId: "woodgrove-customers",
    };
    const refused = await call(
      undefined,
      `${base}/runs/${second}/keys/woodgrove-customers`,
      "POST",
      next.signed(payload),
    );
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json<{ error: { code: string } }>().error.code, "DatasetConsentOff");
  });

  it("7. the audit trail shows releases and the refusal, and its receipts verify", async () => {
    const events = ok(await call(northwind, `${base}/events?limit=200`)).json<{
      value: { type: string; transactionId: string; details: Record<string, unknown> }[];
    }>().value;
    const types = events.map((e) => e.type);
    for (const type of ["dataset.published", "key.released", "key.refused"]) {
      assert.ok(types.includes(type), `${type} is missing from ${types.join(", ")}`);
    }
    const refusal = events.find((e) => e.type === "key.refused")!;
    assert.match(JSON.stringify(refusal.details), /DatasetConsentOff/);
    const release = events.find((e) => e.type === "key.released")!;
    await c.client.waitForCommit(release.transactionId);
    const receipt = (
      await call(undefined, `/app/receipt?transaction_id=${release.transactionId}`)
    ).json<ReceiptJson>();
    verifyReceipt(receipt, c.sandbox.serviceCertPem);
  });
});
