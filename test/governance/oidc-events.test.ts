/**
 * The audit trail and the OIDC issuer, as the personas use them over HTTPS: members and
 * participants page through a contract's events by scope and seqno range, and each event's
 * receipt proves it; members enable and configure the issuer by proposal and generate its key;
 * anyone reads the discovery document and JWKS; attested clean rooms get tokens that `jose`
 * verifies against them, through rotation.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify } from "jose";
import type { TokenResponse } from "../../contracts/src/oidc.js";
import type { Identity, Reply } from "../support/client.js";
import { errorOf, idOf, type Member } from "../support/gov.js";
import { verifyReceipt, type ReceiptJson } from "../support/receipt-verifier.js";
import { bundleWithEventProducer, governanceConstitution } from "./event-producer.js";
import { newIdentity, startConsortium, type Consortium } from "./consortium.js";
import {
  MEASUREMENT,
  claimedRun,
  kekOf,
  publishQuery,
  requestedRun,
  signed,
  unwrapForRun,
  type Run,
} from "./run-fixture.js";

const TX_HEADER = "x-ms-ccf-transaction-id";
const ISSUER = "https://issuer.example.com/cleanroom";
const AUDIENCE = "api://AzureADTokenExchange";

interface ListedEvent {
  position: number;
  scope: string;
  type: string;
  actor: string;
  subject?: string;
  details: Record<string, unknown>;
  transactionId: string;
}
interface EventList {
  value: ListedEvent[];
  nextLink?: string;
}
interface Jwks {
  keys: { kid: string; kty: string; crv: string; x: string; y: string; alg: string; use: string }[];
}

const seqnoOf = (txid: string) => Number(txid.split(".")[1]);

function contractDocument(participants: { id: string; kind: string; name: string }[]) {
  return {
    description: "events and tokens",
    participants,
    policy: { measurements: [MEASUREMENT], allowVirtual: true },
    consentDefaults: { execution: true, logging: true, telemetry: true },
    tokenPolicy: {
      audiences: ["api://AzureADTokenExchange", "sts.amazonaws.com"],
      maxLifetimeSeconds: 600,
    },
  };
}

/** Saves a draft and passes `set_contract` for it: the contract is Accepted. */
async function acceptContract(c: Consortium, contractId: string, document: object): Promise<void> {
  const draft = await c.call(c.members[0], `/app/contracts/${contractId}`, {
    method: "PUT",
    body: { document },
  });
  assert.equal(draft.status, 201, draft.text);
  const version = String(draft.headers[TX_HEADER]);
  await c.pass([{ name: "set_contract", args: { contractId, version, document } }]);
}

describe("governance app: audit events and the OIDC issuer", function () {
  let c: Consortium;
  let member0: Member;
  let user0: Identity;
  let user1: Identity;
  let bundlePath: string;
  const contractId = "events-1";

  before(async () => {
    bundlePath = bundleWithEventProducer();
    c = await startConsortium({ bundle: bundlePath, constitution: [governanceConstitution()] });
    member0 = c.members[0]!;
    [user0, user1] = [c.users[0]!, c.users[1]!];
    await acceptContract(
      c,
      contractId,
      contractDocument([
        { id: member0.id, kind: "member", name: "operator" },
        { id: idOf(user0.cert), kind: "user", name: "northwind" },
      ]),
    );
  });
  after(async () => {
    await c?.stop();
    if (bundlePath) rmSync(dirname(bundlePath), { recursive: true, force: true });
  });

  /** Appends `count` events of `scope` in one transaction; its transaction id. */
  async function append(id: string, scope: string, count: number, type = "test.event") {
    const reply = await c.call(member0, "/app/test/events", {
      body: { contractId: id, scope, count, type },
    });
    assert.equal(reply.status, 200, reply.text);
    return String(reply.headers[TX_HEADER]);
  }

  async function list(as: Identity | undefined, path: string): Promise<Reply> {
    return c.call(as, path);
  }

  /** Follows nextLinks from `path`; every page and the events in order. */
  async function listAll(
    as: Identity,
    path: string,
  ): Promise<{ pages: number; events: ListedEvent[] }> {
    const events: ListedEvent[] = [];
    let pages = 0;
    let next: string | undefined = path;
    while (next !== undefined) {
      const reply = await list(as, next);
      assert.equal(reply.status, 200, reply.text);
      const page = reply.json<EventList>();
      pages++;
      events.push(...page.value);
      next = page.nextLink;
    }
    return { pages, events };
  }

  describe("audit events", () => {
    it("lists a contract's events in order, a page at a time", async () => {
      const id = "events-paging";
      await acceptContract(
        c,
        id,
        contractDocument([{ id: member0.id, kind: "member", name: "m" }]),
      );
      await append(id, "alpha", 120);
      await append(id, "beta", 30);
      const base = `/app/contracts/${id}/events`;
      const first = (await list(member0, `${base}?limit=50`)).json<EventList>();
      assert.equal(first.value.length, 50);
      assert.equal(first.nextLink, `${base}?start=50&limit=50`);
      const all = await listAll(member0, `${base}?limit=50`);
      // The draft the contracts endpoint recorded, then ours.
      assert.equal(all.events.length, 151);
      assert.equal(all.pages, 4);
      assert.deepEqual(
        all.events.map((e) => e.position),
        Array.from({ length: 151 }, (_, i) => i),
      );
      assert.equal(all.events[0]!.type, "contract.draft_saved");
      assert.deepEqual(all.events[1], {
        position: 1,
        scope: "alpha",
        type: "test.event",
        actor: "test",
        details: { i: 0 },
        transactionId: all.events[1]!.transactionId,
      });
      assert.match(all.events[1]!.transactionId, /^\d+\.\d+$/);
      const last = (await list(member0, `${base}?start=150`)).json<EventList>();
      assert.deepEqual(
        last.value.map((e) => e.details["i"]),
        [29],
      );
      assert.equal(last.nextLink, undefined);
      const beyond = (await list(member0, `${base}?start=1000`)).json<EventList>();
      assert.deepEqual(beyond, { value: [] });
    });

    it("filters by scope, keeping each event's position in the whole trail", async () => {
      const id = "events-scope";
      await acceptContract(
        c,
        id,
        contractDocument([{ id: member0.id, kind: "member", name: "m" }]),
      );
      for (let round = 0; round < 3; round++) {
        await append(id, "alpha", 2);
        await append(id, "beta", 1, `beta.${round}`);
      }
      const base = `/app/contracts/${id}/events`;
      const beta = await listAll(member0, `${base}?scope=beta&limit=2`);
      assert.equal(beta.pages, 2);
      assert.deepEqual(
        beta.events.map((e) => [e.position, e.type, e.scope]),
        [
          [3, "beta.0", "beta"],
          [6, "beta.1", "beta"],
          [9, "beta.2", "beta"],
        ],
      );
      const page = (await list(member0, `${base}?scope=beta&limit=2`)).json<EventList>();
      assert.equal(page.nextLink, `${base}?start=2&limit=2&scope=beta`);
      const alpha = await listAll(member0, `${base}?scope=alpha`);
      assert.equal(alpha.events.length, 6);
      assert.ok(alpha.events.every((e) => e.scope === "alpha"));
      const none = (await list(member0, `${base}?scope=gamma`)).json<EventList>();
      assert.deepEqual(none, { value: [] });
    });

    it("filters by seqno range, by binary search over positions", async () => {
      const id = "events-seqno";
      await acceptContract(
        c,
        id,
        contractDocument([{ id: member0.id, kind: "member", name: "m" }]),
      );
      const a = seqnoOf(await append(id, "alpha", 40, "batch.a"));
      const b = seqnoOf(await append(id, "beta", 40, "batch.b"));
      const d = seqnoOf(await append(id, "alpha", 40, "batch.c"));
      assert.ok(a < b && b < d);
      const base = `/app/contracts/${id}/events`;
      const types = (events: ListedEvent[]) => [...new Set(events.map((e) => e.type))];

      const onlyB = await listAll(member0, `${base}?from_seqno=${b}&to_seqno=${b}&limit=15`);
      assert.equal(onlyB.events.length, 40);
      assert.deepEqual(types(onlyB.events), ["batch.b"]);
      assert.equal(onlyB.pages, 3, "pages stop at to_seqno, without an empty last page");
      assert.ok(onlyB.events.every((e) => seqnoOf(e.transactionId) === b));

      const fromB = await listAll(member0, `${base}?from_seqno=${b}`);
      assert.deepEqual(types(fromB.events), ["batch.b", "batch.c"]);
      const upToA = await listAll(member0, `${base}?to_seqno=${b - 1}`);
      assert.deepEqual(types(upToA.events), ["contract.draft_saved", "batch.a"]);
      const between = await listAll(member0, `${base}?from_seqno=${a + 1}&to_seqno=${d - 1}`);
      assert.deepEqual(types(between.events), ["batch.b"]);
      const alphaFromB = await listAll(member0, `${base}?scope=alpha&from_seqno=${b}`);
      assert.deepEqual(types(alphaFromB.events), ["batch.c"]);
      const later = (await list(member0, `${base}?from_seqno=${d + 1}`)).json<EventList>();
      assert.deepEqual(later, { value: [] });
    });

    it("refuses bad parameters with 400 and a message", async () => {
      const base = `/app/contracts/${contractId}/events`;
      for (const [query, pattern] of [
        ["from_seqno=5&to_seqno=4", /to_seqno/],
        ["from_seqno=abc", /from_seqno/],
        ["to_seqno=-1", /to_seqno/],
        ["limit=0", /limit/],
        ["limit=501", /limit/],
        ["start=1.5", /start/],
        ["scope=Not%20A%20Scope", /scope/],
        ["scope=%E0%A4%A", /scope|encoded/],
      ] as const) {
        const reply = await list(member0, `${base}?${query}`);
        assert.equal(reply.status, 400, query);
        assert.match(errorOf(reply).message, pattern, query);
      }
    });

    it("lets participants and members read, and nobody else", async () => {
      const path = `/app/contracts/${contractId}/events`;
      assert.equal((await list(member0, path)).status, 200);
      assert.equal((await list(user0, path)).status, 200);
      const outsider = await list(user1, path);
      assert.equal(outsider.status, 403);
      assert.equal(errorOf(outsider).code, "NotAParticipant");
      const stranger = await list(await newIdentity("stranger"), path);
      assert.equal(stranger.status, 403);
      const anonymous = await list(undefined, path);
      assert.equal(anonymous.status, 401);
      const unknown = await list(member0, "/app/contracts/no-such-contract/events");
      assert.equal(unknown.status, 404);
      assert.equal(errorOf(unknown).code, "ContractNotFound");
      assert.equal((await list(user0, "/app/contracts/no-such-contract/events")).status, 404);
      // A draft's trail is the members' until the contract is accepted.
      const draft = await c.call(member0, "/app/contracts/events-draft", {
        method: "PUT",
        body: { document: contractDocument([{ id: idOf(user0.cert), kind: "user", name: "n" }]) },
      });
      assert.equal(draft.status, 201);
      const drafted = (await list(member0, "/app/contracts/events-draft/events")).json<EventList>();
      assert.deepEqual(
        drafted.value.map((e) => e.type),
        ["contract.draft_saved"],
      );
      assert.equal((await list(user0, "/app/contracts/events-draft/events")).status, 404);
    });

    it("gives each event the transaction that recorded it, whose receipt proves it", async () => {
      const txid = await append(contractId, "runtime", 3, "receipt.test");
      const events = (
        await list(user0, `/app/contracts/${contractId}/events?scope=runtime`)
      ).json<EventList>().value;
      assert.equal(events.length, 3);
      assert.ok(events.every((e) => e.transactionId === txid));
      await c.client.waitForCommit(txid);
      let reply = await c.call(undefined, `/app/receipt?transaction_id=${txid}`);
      for (let i = 0; reply.status === 202 && i < 100; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        reply = await c.call(undefined, `/app/receipt?transaction_id=${txid}`);
      }
      assert.equal(reply.status, 200, reply.text);
      const receipt = reply.json<ReceiptJson>();
      verifyReceipt(receipt, c.sandbox.serviceCertPem);
      assert.match(receipt.leaf_components!.commit_evidence, new RegExp(`^ce:${txid}:`));
      const forged = structuredClone(receipt);
      forged.leaf_components!.write_set_digest = "00".repeat(32);
      assert.throws(() => verifyReceipt(forged, c.sandbox.serviceCertPem));
    });
  });

  describe("OIDC issuer", () => {
    const tokens = "tokens-1";
    const noPolicy = "tokens-no-policy";
    let run: Run;
    let runWithoutPolicy: Run;
    let unclaimed: Run;

    before(async () => {
      const kek = await kekOf(c.call, member0);
      const participants = [
        { id: member0.id, kind: "member", name: "operator" },
        { id: idOf(user0.cert), kind: "user", name: "northwind" },
      ];
      await acceptContract(c, tokens, contractDocument(participants));
      const { tokenPolicy: _none, ...withoutPolicy } = contractDocument(participants);
      await acceptContract(c, noPolicy, withoutPolicy);
      for (const id of [tokens, noPolicy]) await publishQuery(c.call, user0, id, kek);
      run = await claimedRun(c.call, user0, tokens);
      runWithoutPolicy = await claimedRun(c.call, user0, noPolicy);
      unclaimed = await requestedRun(c.call, user0, tokens);
    });

    /** A signed token request (as the runtime makes it), sent to `contract`'s token endpoint. */
    function requestToken(
      r: Run,
      fields: Record<string, unknown>,
      options: { signer?: KeyObject; contract?: string; payload?: Record<string, unknown> } = {},
    ): Promise<Reply> {
      const payload = options.payload ?? {
        contractId: r.contractId,
        runId: r.runId,
        purpose: "token",
        ...fields,
      };
      return c.call(undefined, `/app/contracts/${options.contract ?? r.contractId}/oidc/token`, {
        body: signed(r, payload, options.signer),
      });
    }

    /** The compact JWT in a token response, unwrapped with the run's private key. */
    function unwrapToken(r: Run, reply: Reply): { jwt: string; response: TokenResponse } {
      assert.equal(reply.status, 200, reply.text);
      const response = reply.json<TokenResponse>();
      assert.equal(response.algorithm, "RSA-OAEP-AES-KWP");
      return { jwt: unwrapForRun(r, response.wrappedToken).toString("utf8"), response };
    }

    function expectRefusal(reply: Reply, status: number, code: string): void {
      assert.equal(reply.status, status, reply.text);
      assert.equal(errorOf(reply).code, code, reply.text);
    }

    const jwksOf = async () => {
      const reply = await c.call(undefined, "/app/oidc/keys");
      assert.equal(reply.status, 200, reply.text);
      return reply.json<Jwks>();
    };

    async function verify(jwt: string, audience = AUDIENCE) {
      const discovery = (
        await c.call(undefined, "/app/oidc/.well-known/openid-configuration")
      ).json<{
        issuer: string;
        jwks_uri: string;
      }>();
      assert.equal(discovery.jwks_uri, `${discovery.issuer}/keys`);
      // The operator publishes /app/oidc/keys at jwks_uri; here we read it from governance.
      return jwtVerify(jwt, createLocalJWKSet(await jwksOf()), {
        issuer: discovery.issuer,
        audience,
        algorithms: ["ES256"],
      });
    }

    async function oidcEvents(contract: string): Promise<ListedEvent[]> {
      const reply = await c.call(user0, `/app/contracts/${contract}/events?scope=oidc&limit=500`);
      assert.equal(reply.status, 200, reply.text);
      return reply.json<EventList>().value;
    }

    it("serves nothing and issues nothing before members enable it", async () => {
      const discovery = await c.call(undefined, "/app/oidc/.well-known/openid-configuration");
      expectRefusal(discovery, 404, "OidcIssuerNotEnabled");
      expectRefusal(await c.call(undefined, "/app/oidc/keys"), 404, "OidcIssuerNotEnabled");
      const generate = await c.call(member0, "/app/oidc/signing-keys", { method: "POST" });
      expectRefusal(generate, 409, "OidcIssuerNotEnabled");
      expectRefusal(await requestToken(run, { audience: AUDIENCE }), 409, "OidcIssuerNotEnabled");
      await assert.rejects(
        c.pass([{ name: "rotate_oidc_signing_key" }]),
        /not enabled: propose enable_oidc_issuer first/,
      );
      const status = (await c.call(user0, "/app/oidc/issuer")).json<Record<string, unknown>>();
      assert.equal(status["enabled"], false);
      assert.equal(status["maxLifetimeSeconds"], 3600);
    });

    it("validates proposals with clear messages", async () => {
      const refused: [string, Record<string, unknown> | undefined, RegExp][] = [
        ["set_oidc_issuer_url", { issuerUrl: "http://issuer.example.com" }, /https URL/],
        [
          "set_oidc_issuer_url",
          { issuerUrl: "https://issuer.example.com/x/" },
          /must not end with '\/'/,
        ],
        ["set_oidc_issuer_url", { issuerUrl: "https://issuer.example.com/?a=1" }, /no query/],
        ["set_oidc_issuer_url", { issuerUrl: "https://user@issuer.example.com" }, /https URL/],
        ["set_oidc_issuer_url", { issuerUrl: "https://issuer.example.com:99999" }, /invalid port/],
        ["set_oidc_issuer_url", {}, /issuerUrl must be of type string/],
        ["enable_oidc_issuer", { issuerUrl: "ftp://x" }, /https URL/],
        ["enable_oidc_issuer", { url: ISSUER }, /unknown argument 'url'/],
        ["set_oidc_token_policy", { maxLifetimeSeconds: 0 }, /between 1 and 86400/],
        ["set_oidc_token_policy", { maxLifetimeSeconds: 86401 }, /between 1 and 86400/],
        ["set_oidc_token_policy", { maxLifetimeSeconds: "60" }, /must be of type integer/],
        ["rotate_oidc_signing_key", { now: true }, /takes no arguments/],
      ];
      for (const [name, args, pattern] of refused) {
        await assert.rejects(c.pass([{ name, args }]), pattern, `${name} ${JSON.stringify(args)}`);
      }
    });

    it("once enabled, needs a URL and a key, which a member makes, before it issues", async () => {
      await c.pass([{ name: "enable_oidc_issuer" }]);
      const noUrl = await c.call(undefined, "/app/oidc/.well-known/openid-configuration");
      expectRefusal(noUrl, 404, "IssuerUrlNotSet");
      expectRefusal(await requestToken(run, { audience: AUDIENCE }), 409, "IssuerUrlNotSet");

      await c.pass([{ name: "set_oidc_issuer_url", args: { issuerUrl: ISSUER } }]);
      const discovery = await c.call(undefined, "/app/oidc/.well-known/openid-configuration");
      assert.equal(discovery.status, 200);
      assert.deepEqual(discovery.json(), {
        issuer: ISSUER,
        jwks_uri: `${ISSUER}/keys`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["ES256"],
        claims_supported: ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"],
      });
      expectRefusal(await c.call(undefined, "/app/oidc/keys"), 404, "SigningKeyNotAvailable");
      expectRefusal(await requestToken(run, { audience: AUDIENCE }), 409, "SigningKeyNotAvailable");

      const byUser = await c.call(user0, "/app/oidc/signing-keys", { method: "POST" });
      expectRefusal(byUser, 403, "MemberRequired");
      const byNobody = await c.call(undefined, "/app/oidc/signing-keys", { method: "POST" });
      assert.equal(byNobody.status, 401);

      const created = await c.call(member0, "/app/oidc/signing-keys", { method: "POST" });
      assert.equal(created.status, 201, created.text);
      const { kid, generation, jwks } = created.json<{
        kid: string;
        generation: number;
        jwks: Jwks;
      }>();
      assert.equal(generation, 1);
      const again = await c.call(member0, "/app/oidc/signing-keys", { method: "POST" });
      assert.equal(again.status, 200);
      assert.deepEqual(
        [again.json<{ kid: string }>().kid, again.json<{ created: boolean }>().created],
        [kid, false],
      );

      const served = await jwksOf();
      assert.deepEqual(served, jwks);
      assert.equal(served.keys.length, 1);
      const key = served.keys[0]!;
      assert.deepEqual(
        [key.kty, key.crv, key.alg, key.use, key.kid],
        ["EC", "P-256", "ES256", "sig", kid],
      );
      assert.equal(kid, await calculateJwkThumbprint(key, "sha256"), "kid = RFC 7638 thumbprint");
      assert.doesNotMatch(JSON.stringify(served), /"d"/, "no private part");

      const status = (await c.call(member0, "/app/oidc/issuer")).json<Record<string, unknown>>();
      assert.equal(status["currentKid"], kid);
      assert.equal(status["issuerUrl"], ISSUER);
      const events = (await c.call(user0, "/app/events?scope=oidc")).json<EventList>().value;
      assert.deepEqual(
        events.map((e) => [e.type, e.actor, e.subject, e.details["generation"]]),
        [["oidc.signing-key.created", member0.id, kid, 1]],
      );
      assert.equal((await c.call(undefined, "/app/events")).status, 401);
    });

    it("issues the run's clean room a token that jose verifies against the discovery document", async () => {
      const { jwt, response } = unwrapToken(run, await requestToken(run, { audience: AUDIENCE }));
      const { payload, protectedHeader } = await verify(jwt);
      const kid = (await jwksOf()).keys[0]!.kid;
      assert.deepEqual(protectedHeader, { alg: "ES256", typ: "JWT", kid });
      assert.equal(payload.iss, ISSUER);
      assert.equal(payload.sub, `contract:${tokens}:run:${run.runId}`);
      assert.equal(payload.aud, AUDIENCE);
      for (const claim of ["iat", "nbf", "exp"] as const) {
        assert.equal(typeof payload[claim], "number", claim);
        assert.ok(Number.isInteger(payload[claim]), claim);
      }
      assert.equal(payload.nbf, payload.iat);
      assert.equal(payload.exp! - payload.iat!, 600, "the contract's cap, below governance's 3600");
      assert.match(payload.jti!, /^[0-9a-f]{32}$/);
      assert.deepEqual(response.claims, payload);
      assert.equal(response.kid, kid);

      const second = unwrapToken(run, await requestToken(run, { audience: "sts.amazonaws.com" }));
      const verified = await verify(second.jwt, "sts.amazonaws.com");
      assert.notEqual(verified.payload.jti, payload.jti, "every token has its own jti");
      await assert.rejects(verify(second.jwt, AUDIENCE), /aud/);

      const events = await oidcEvents(tokens);
      const issued = events.filter((e) => e.type === "oidc.token.issued");
      assert.deepEqual(
        issued.map((e) => [
          e.actor,
          e.subject,
          e.details["jti"],
          e.details["aud"],
          e.details["kid"],
        ]),
        [
          [`runtime:${run.runId}`, run.runId, payload.jti, AUDIENCE, kid],
          [`runtime:${run.runId}`, run.runId, verified.payload.jti, "sts.amazonaws.com", kid],
        ],
      );
      assert.ok(!JSON.stringify(events).includes(jwt.split(".")[2]!), "no token in the trail");
    });

    it("caps lifetimes by the request, the contract and governance", async () => {
      const lifetime = async (fields: Record<string, unknown>) => {
        const { response } = unwrapToken(
          run,
          await requestToken(run, { audience: AUDIENCE, ...fields }),
        );
        return response.claims.exp - response.claims.iat;
      };
      assert.equal(await lifetime({}), 600);
      assert.equal(await lifetime({ lifetimeSeconds: 100 }), 100);
      assert.equal(await lifetime({ lifetimeSeconds: 5000 }), 600);
      await c.pass([{ name: "set_oidc_token_policy", args: { maxLifetimeSeconds: 120 } }]);
      assert.equal(await lifetime({}), 120);
      assert.equal(await lifetime({ lifetimeSeconds: 5000 }), 120);
      assert.equal(await lifetime({ lifetimeSeconds: 30 }), 30);
      await c.pass([{ name: "set_oidc_token_policy", args: { maxLifetimeSeconds: 3600 } }]);
      assert.equal(await lifetime({}), 600);
    });

    it("refuses what the contract or the run does not allow, and records why", async () => {
      const before = (await oidcEvents(tokens)).length;
      expectRefusal(
        await requestToken(run, { audience: "https://evil.example" }),
        403,
        "AudienceNotAllowed",
      );
      expectRefusal(
        await requestToken(run, { audience: AUDIENCE, lifetimeSeconds: 0 }),
        400,
        "InvalidTokenRequest",
      );
      expectRefusal(await requestToken(run, {}), 400, "InvalidTokenRequest");
      // Signed by another key than the one the run's evidence bound.
      const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      expectRefusal(
        await requestToken(run, { audience: AUDIENCE }, { signer: stranger }),
        403,
        "SignatureInvalid",
      );
      // A signature made for another purpose, or for another contract, does not serve here.
      const forKey = { contractId: tokens, runId: run.runId, purpose: "key", datasetId: "in" };
      expectRefusal(await requestToken(run, {}, { payload: forKey }), 403, "PayloadMismatch");
      const forOther = {
        contractId: noPolicy,
        runId: run.runId,
        purpose: "token",
        audience: AUDIENCE,
      };
      expectRefusal(await requestToken(run, {}, { payload: forOther }), 403, "PayloadMismatch");
      // Consent off for a dataset the run reads: no token until it is back on.
      const consent = (body: Record<string, unknown>) =>
        c.call(user0, `/app/contracts/${tokens}/consent/datasets/in`, { method: "PUT", body });
      const off = await consent({ execution: false });
      assert.equal(off.status, 200, off.text);
      expectRefusal(await requestToken(run, { audience: AUDIENCE }), 403, "DatasetConsentOff");
      const on = await consent({ execution: true, version: String(off.headers[TX_HEADER]) });
      assert.equal(on.status, 200, on.text);
      unwrapToken(run, await requestToken(run, { audience: AUDIENCE }));

      const refusals = (await oidcEvents(tokens))
        .slice(before)
        .filter((e) => e.type === "oidc.token.refused");
      assert.deepEqual(
        refusals.map((e) => e.details["code"]),
        [
          "AudienceNotAllowed",
          "InvalidTokenRequest",
          "InvalidTokenRequest",
          "SignatureInvalid",
          "PayloadMismatch",
          "PayloadMismatch",
          "DatasetConsentOff",
        ],
      );
      assert.ok(
        refusals.every((e) => e.actor === `runtime:${run.runId}` && e.subject === run.runId),
      );
      assert.match(String(refusals[0]!.details["reason"]), /https:\/\/evil\.example/);
    });

    it("refuses runs it cannot vouch for, recording only runs that exist", async () => {
      expectRefusal(
        await requestToken(runWithoutPolicy, { audience: AUDIENCE }),
        403,
        "TokenPolicyMissing",
      );
      assert.deepEqual(
        (await oidcEvents(noPolicy)).map((e) => [e.type, e.details["code"]]),
        [["oidc.token.refused", "TokenPolicyMissing"]],
      );
      expectRefusal(await requestToken(unclaimed, { audience: AUDIENCE }), 409, "RunNotClaimed");
      // Replay for another run: a payload naming another run, signed by this run's key.
      const other = await claimedRun(c.call, user0, tokens);
      const forOtherRun = {
        contractId: tokens,
        runId: other.runId,
        purpose: "token",
        audience: AUDIENCE,
      };
      expectRefusal(await requestToken(run, {}, { payload: forOtherRun }), 403, "SignatureInvalid");
      // A finished run gets no more tokens.
      const failed = await c.call(undefined, `/app/contracts/${tokens}/runs/${other.runId}/fail`, {
        body: signed(other, {
          contractId: tokens,
          runId: other.runId,
          purpose: "fail",
          reason: "test",
        }),
      });
      assert.equal(failed.status, 200, failed.text);
      expectRefusal(await requestToken(other, { audience: AUDIENCE }), 409, "RunFinished");
      const recorded = await oidcEvents(tokens);
      assert.deepEqual(
        recorded.slice(-3).map((e) => [e.type, e.subject, e.details["code"]]),
        [
          ["oidc.token.refused", unclaimed.runId, "RunNotClaimed"],
          ["oidc.token.refused", other.runId, "SignatureInvalid"],
          ["oidc.token.refused", other.runId, "RunFinished"],
        ],
      );
      const before = recorded.length;
      const ghost = { ...run, runId: "0".repeat(32) };
      expectRefusal(await requestToken(ghost, { audience: AUDIENCE }), 404, "RunNotFound");
      const garbage = await c.call(undefined, `/app/contracts/${tokens}/oidc/token`, {
        body: { payload: "{}", signature: "AAAA" },
      });
      expectRefusal(garbage, 400, "InvalidRequest");
      const notJson = await c.call(undefined, `/app/contracts/${tokens}/oidc/token`, { body: "{" });
      expectRefusal(notJson, 400, "InvalidRequest");
      expectRefusal(
        await requestToken(run, { audience: AUDIENCE }, { contract: "nope" }),
        404,
        "ContractNotFound",
      );
      assert.equal((await oidcEvents(tokens)).length, before, "strangers do not grow the trail");
    });

    /** Passes a rotation and has a member make the new key; its kid and generation. */
    async function rotate(): Promise<{ kid: string; generation: number }> {
      await c.pass([{ name: "rotate_oidc_signing_key" }]);
      const reply = await c.call(member0, "/app/oidc/signing-keys", { method: "POST" });
      assert.equal(reply.status, 201, reply.text);
      return reply.json<{ kid: string; generation: number }>();
    }

    const publishedKids = async () => (await jwksOf()).keys.map((k) => k.kid);

    it("keeps a rotated key in the JWKS until the last token it signed expires", async () => {
      // The first key signed 600 s tokens above: it stays published throughout this test.
      const [first] = await publishedKids();
      await c.pass([{ name: "rotate_oidc_signing_key" }]);
      const status = (await c.call(member0, "/app/oidc/issuer")).json<Record<string, unknown>>();
      assert.deepEqual([status["keyGenerationRequested"], status["keyGeneration"]], [2, 1]);
      const created = await c.call(member0, "/app/oidc/signing-keys", { method: "POST" });
      assert.equal(created.status, 201, created.text);
      const shortLived = created.json<{ kid: string; generation: number }>();
      assert.equal(shortLived.generation, 2);
      assert.deepEqual(await publishedKids(), [shortLived.kid, first]);

      // This key signs one token, living 3 s; then it is rotated out.
      const old = unwrapToken(
        run,
        await requestToken(run, { audience: AUDIENCE, lifetimeSeconds: 3 }),
      );
      assert.equal(old.response.kid, shortLived.kid);
      const exp = old.response.claims.exp;
      const next = await rotate();
      assert.equal(next.generation, 3);

      // Every key with a valid token is published; the old token still verifies; new ones use
      // the new key.
      assert.deepEqual(await publishedKids(), [next.kid, shortLived.kid, first]);
      assert.equal((await verify(old.jwt)).protectedHeader.kid, shortLived.kid);
      const fresh = unwrapToken(run, await requestToken(run, { audience: AUDIENCE }));
      assert.equal((await verify(fresh.jwt)).protectedHeader.kid, next.kid);

      // Once its token has expired, the short-lived key leaves the JWKS.
      while (Date.now() / 1000 < exp + 1) await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await jwksOf();
      assert.deepEqual(
        after.keys.map((k) => k.kid),
        [next.kid, first],
      );
      await assert.rejects(
        jwtVerify(old.jwt, createLocalJWKSet(after), { issuer: ISSUER, audience: AUDIENCE }),
        /no applicable key found/,
      );
      const events = (await c.call(member0, "/app/events?scope=oidc")).json<EventList>().value;
      assert.deepEqual(
        events.slice(-2).map((e) => [e.type, e.subject, e.details["previousKid"]]),
        [
          ["oidc.signing-key.rotated", shortLived.kid, first],
          ["oidc.signing-key.rotated", next.kid, shortLived.kid],
        ],
      );
    });

    it("rotates a key that signed nothing out of the JWKS at once", async () => {
      const before = await publishedKids();
      const unused = await rotate();
      assert.equal(unused.generation, 4);
      assert.deepEqual(await publishedKids(), [unused.kid, ...before]);
      const latest = await rotate();
      assert.deepEqual(await publishedKids(), [latest.kid, ...before]);
      const keys = (await c.call(user0, "/app/oidc/issuer")).json<{ retiredKids: string[] }>();
      assert.ok(!keys.retiredKids.includes(unused.kid), "nor is it kept in the keyring");
    });
  });
});
