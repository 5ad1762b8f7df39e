/**
 * The governance client against a real sandbox serving the governance app over TLS: members
 * propose, vote, withdraw and activate through /gov; an invitee accepts with its own certificate;
 * a user publishes datasets and pages through the audit trail; errors are typed; retries happen
 * only where the request cannot have run, and never repeat a write.
 */
import assert from "node:assert/strict";
import { constants, createHash, publicEncrypt, randomBytes, webcrypto } from "node:crypto";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createNetServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { DatasetDocument } from "../../contracts/src/dataset.js";
import { x509 } from "../../sandbox/x509.js";
import { newIdentity, startConsortium, type Consortium } from "../../test/governance/consortium.js";
import { certificateId } from "../cose.js";
import {
  AppClient,
  GovClient,
  GovernanceError,
  Transport,
  connectGovernance,
  transactionStatus,
  type AuditEvent,
  type GovernanceClient,
  type Page,
} from "./index.js";

const CONTRACT = "client-collab";
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A key and a self-signed certificate naming 127.0.0.1, for a TLS front the client pins. */
async function loopbackCertificate(): Promise<{ certPem: string; keyPem: string }> {
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=front",
    keys,
    signingAlgorithm: algorithm,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }])],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const b64 = Buffer.from(pkcs8)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n");
  return {
    certPem: cert.toString("pem") + "\n",
    keyPem: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`,
  };
}

const listen = (server: Server | HttpsServer): Promise<number> =>
  new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
const close = (server: Server | HttpsServer): Promise<void> =>
  new Promise((resolve) => server.close(() => resolve()));

async function rejectsWith(
  promise: Promise<unknown>,
  check: (error: GovernanceError) => void,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GovernanceError, String(error));
    check(error);
    return true;
  });
}

describe("client/governance against the sandbox", function () {
  this.timeout(60_000);
  let c: Consortium;
  let m0: GovernanceClient;
  let m1: GovernanceClient;
  let user: GovernanceClient;
  const clients: GovernanceClient[] = [];
  const connectAs = (identity?: { cert: string; key: string }, member = false) => {
    const client = connectGovernance({
      url: c.sandbox.url,
      serviceCertPem: c.sandbox.serviceCertPem,
      ...(identity && member
        ? { member: { certPem: identity.cert, privateKeyPem: identity.key } }
        : identity
          ? { clientCertPem: identity.cert, clientKeyPem: identity.key }
          : {}),
    });
    clients.push(client);
    return client;
  };

  before(async () => {
    // Two members: a proposal stays Open until the second votes.
    c = await startConsortium({ members: 2, users: 2 });
    m0 = connectAs(c.members[0], true);
    m1 = connectAs(c.members[1], true);
    user = connectAs(c.users[0]);
  });
  after(async () => {
    for (const client of clients) client.close();
    await c?.stop();
  });

  /** Proposals naming `marker` in their set_member_data action. */
  async function proposalsMarked(marker: string): Promise<string[]> {
    const found: string[] = [];
    for (const p of await m0.gov.proposals()) {
      const actions = await m0.gov.proposalActions(p.proposalId);
      if (JSON.stringify(actions).includes(marker)) found.push(p.proposalId);
    }
    return found;
  }
  const markedAction = (marker: string) => ({
    name: "set_member_data",
    args: { member_id: c.members[1]!.id, member_data: { marker } },
  });

  describe("members (/gov)", () => {
    it("proposes, and the proposal is accepted when the other member votes for it", async () => {
      const proposal = await m0.gov.propose([markedAction("vote-test")]);
      assert.equal(proposal.proposalState, "Open");
      assert.equal(proposal.proposerId, c.members[0]!.id);
      assert.equal(m0.gov.memberId, c.members[0]!.id);
      assert.deepEqual(
        (await m0.gov.proposals()).map((p) => p.proposalId).includes(proposal.proposalId),
        true,
      );

      const voted = await m1.gov.vote(proposal.proposalId, true);
      assert.equal(voted.proposalState, "Accepted");
      assert.equal(voted.finalVotes?.[c.members[1]!.id], true);
      assert.equal((await m0.gov.proposal(proposal.proposalId)).proposalState, "Accepted");
      const member1 = (await m0.gov.members()).find((m) => m.memberId === c.members[1]!.id);
      assert.deepEqual(member1?.memberData, { marker: "vote-test" });
    });

    it("votes with a ballot module, and withdraws", async () => {
      const rejected = await m0.gov.propose([markedAction("reject-test")]);
      const ballot = "export function vote(proposal, proposerId) { return false; }";
      // One of two against is no majority: still Open, with the ballot counted.
      const after = await m1.gov.vote(rejected.proposalId, ballot);
      assert.equal(after.proposalState, "Open");
      assert.equal(after.ballotCount, 1);
      await m0.gov.withdraw(rejected.proposalId);

      const withdrawn = await m0.gov.propose([markedAction("withdraw-test")]);
      assert.equal((await m0.gov.withdraw(withdrawn.proposalId)).proposalState, "Withdrawn");
      // Only the proposer withdraws: CCF's refusal, typed.
      const again = await m0.gov.propose([markedAction("withdraw-test-2")]);
      await rejectsWith(m1.gov.withdraw(again.proposalId), (error) => {
        assert.equal(error.status, 403);
        assert.ok(error.code.length > 0);
      });
      await m0.gov.withdraw(again.proposalId);
    });

    it("explains a proposal that fails validation", async () => {
      await rejectsWith(m0.gov.propose([{ name: "no_such_action" }]), (error) => {
        assert.equal(error.status, 400);
        assert.equal(error.code, "ProposalFailedToValidate");
        assert.match(error.detailMessage, /no such action/);
      });
    });

    it("activates a newly added member with ack, and waits for commits via /app/tx", async () => {
      const newcomer = await newIdentity("newcomer");
      const passed = await m0.gov.propose([{ name: "set_member", args: { cert: newcomer.cert } }]);
      const accepted = await m1.gov.vote(passed.proposalId, true);
      assert.equal(accepted.proposalState, "Accepted");
      const id = certificateId(newcomer.cert);
      const statusOf = async () => (await m0.gov.members()).find((m) => m.memberId === id)?.status;
      assert.equal(await statusOf(), "Accepted");

      const client = connectAs(newcomer, true);
      const acked = await client.gov.ack();
      assert.equal(acked.memberId, id);
      assert.match(acked.stateDigest, /^[0-9a-f]{64}$/);
      assert.equal(await statusOf(), "Active");

      const kek = await client.app.createKek();
      assert.match(kek.transactionId, /^\d+\.\d+$/);
      await client.app.waitForCommit(kek.transactionId);
      assert.equal(await transactionStatus(client.transport, kek.transactionId), "Committed");
      await rejectsWith(client.gov.waitForCommit("2.x"), (error) => {
        assert.equal(error.code, "InvalidRequest");
      });

      // Remove it again so that later proposals need only member1's vote.
      const removal = await m0.gov.propose([{ name: "remove_member", args: { member_id: id } }]);
      const closed =
        removal.proposalState === "Open" ? await m1.gov.vote(removal.proposalId, true) : removal;
      if (closed.proposalState === "Open") await client.gov.vote(removal.proposalId, true);
      assert.equal(await statusOf(), undefined);
    });
  });

  describe("invitations", () => {
    it("an invitee accepts with its own certificate and becomes a user", async () => {
      const code = randomBytes(32).toString("base64url");
      await c.pass([
        {
          name: "invite",
          args: {
            invitationId: "client-inv",
            role: "user",
            displayName: "Contoso",
            expiresAt: nowSeconds() + 3600,
            codeHash: createHash("sha256").update(code).digest("hex"),
          },
        },
      ]);
      const invitee = await newIdentity("contoso");
      const client = connectAs(invitee);
      assert.deepEqual(await client.app.me(), { kind: "anonymous", registered: false });

      await rejectsWith(client.app.acceptInvitation("client-inv", "wrong-code"), (error) => {
        assert.equal(error.status, 403);
        assert.equal(error.code, "InvalidInvitationCode");
        assert.ok(!error.message.includes("wrong-code"));
      });
      const accepted = await client.app.acceptInvitation("client-inv", code);
      const identityId = certificateId(invitee.cert);
      assert.equal(accepted.identityId, identityId);
      assert.equal(accepted.role, "user");
      assert.match(accepted.transactionId, /^\d+\.\d+$/);
      const me = await client.app.me();
      assert.equal(me.kind, "user");
      assert.equal(me.kind === "user" && me.id, identityId);

      const invitation = await m0.app.invitation("client-inv");
      assert.equal(invitation.status, "Accepted");
      assert.equal(invitation.identityId, identityId);
      const listed: string[] = [];
      for await (const item of m0.app.items(m0.app.listInvitations({ limit: 1 }))) {
        listed.push(item.invitationId);
      }
      assert.ok(listed.includes("client-inv"));
      const identity = await m0.app.identity(identityId);
      assert.equal(identity.displayName, "Contoso");
      assert.equal(identity.removed, false);
    });
  });

  describe("a user's datasets and the audit trail", () => {
    let kekId: string;
    let kekPublicKey: string;

    before(async () => {
      const kek = await m0.app.currentKek().catch(() => m0.app.createKek());
      ({ kekId, publicKeyPem: kekPublicKey } = kek);
      await c.pass([
        {
          name: "set_contract",
          args: {
            contractId: CONTRACT,
            version: "1.1",
            document: {
              participants: [
                { id: certificateId(c.users[0]!.cert), kind: "user", name: "northwind" },
              ],
              policy: { measurements: ["00"], allowVirtual: true },
              consentDefaults: { execution: true, logging: false, telemetry: false },
            },
          },
        },
      ]);
    });

    const dataset = (): DatasetDocument => ({
      schema: [{ name: "amount", type: "double" }],
      allowedFields: ["amount"],
      location: { kind: "local", path: "/data/x" },
      format: "csv",
      encryption: {
        kekId,
        wrappedDek: publicEncrypt(
          { key: kekPublicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          randomBytes(32),
        ).toString("base64"),
      },
      labels: { team: "sales" },
    });

    it("publishes datasets, reads them back, and pages through the events", async () => {
      const published = await user.app.publishDataset(CONTRACT, "sales-0", dataset());
      assert.equal(published.owner, certificateId(c.users[0]!.cert));
      assert.equal(published.revision, 1);
      assert.equal(published.version, published.transactionId);
      const revised = await user.app.publishDataset(
        CONTRACT,
        "sales-0",
        dataset(),
        published.version,
      );
      assert.equal(revised.revision, 2);
      for (let i = 1; i < 5; i++) await user.app.publishDataset(CONTRACT, `sales-${i}`, dataset());

      assert.equal((await user.app.dataset(CONTRACT, "sales-0")).revision, 2);
      assert.equal((await user.app.dataset(CONTRACT, "sales-0", 1)).revision, 1);
      const ids: string[] = [];
      for await (const d of user.app.items(
        user.app.listDatasets(CONTRACT, { limit: 2, labels: { team: "sales" } }),
      )) {
        ids.push(d.datasetId);
      }
      assert.deepEqual(ids, ["sales-0", "sales-1", "sales-2", "sales-3", "sales-4"]);

      const all = await user.app.listEvents(CONTRACT, { limit: 500 });
      assert.equal(all.nextLink, undefined);
      assert.ok(all.value.length >= 6, `only ${all.value.length} events`);
      const pages: Page<AuditEvent>[] = [];
      for await (const page of user.app.events(CONTRACT, { limit: 2 })) pages.push(page);
      assert.equal(pages.length, Math.ceil(all.value.length / 2));
      assert.ok(pages.slice(0, -1).every((p) => p.value.length === 2 && p.nextLink));
      assert.equal(pages.at(-1)!.nextLink, undefined);
      assert.deepEqual(
        pages.flatMap((p) => p.value),
        all.value,
      );
      const published6 = all.value.filter((e) => e.type === "dataset.published");
      assert.ok(published6.length >= 5);
      assert.ok(all.value.every((e) => /^\d+\.\d+$/.test(e.transactionId)));
    });

    it("reads keys, grants and runs of the contract", async () => {
      assert.equal((await user.app.currentKek()).kekId, kekId);
      const grant = await user.app.putAccessGrant(CONTRACT, "store", {
        value: "sv=secret-sas",
        kind: "azure-sas",
      });
      assert.equal(grant.name, "store");
      assert.ok(!JSON.stringify(grant).includes("secret-sas"));
      const grants = await user.app.listAccessGrants(CONTRACT);
      assert.deepEqual(
        grants.value.map((g) => g.name),
        ["store"],
      );
      const listedVersion = grants.value[0]!.version;
      await user.app.deleteAccessGrant(CONTRACT, "store", listedVersion);
      assert.deepEqual((await user.app.listAccessGrants(CONTRACT)).value, []);
      assert.deepEqual((await user.app.listRuns(CONTRACT)).value, []);
      const status = await user.app.issuer();
      assert.equal(typeof status.enabled, "boolean");
    });
  });

  describe("the OIDC issuer", () => {
    it("makes the signing key members asked for, and serves discovery and keys to anyone", async () => {
      await c.pass([{ name: "enable_oidc_issuer", args: { issuerUrl: "https://issuer.example" } }]);
      const made = await m0.app.createOidcSigningKey();
      assert.equal(made.created, true);
      const status = await user.app.issuer();
      assert.equal(status.enabled, true);
      assert.equal(status.currentKid, made.kid);
      const anonymous = connectAs();
      assert.equal((await anonymous.app.openIdConfiguration()).issuer, "https://issuer.example");
      assert.deepEqual(
        (await anonymous.app.jwks()).keys.map((k) => k.kid),
        [made.kid],
      );
      assert.equal((await m0.app.createOidcSigningKey()).created, false);
    });
  });

  describe("errors", () => {
    it("maps a 404 to its code and message", async () => {
      await rejectsWith(m0.app.invitation("no-such-invitation"), (error) => {
        assert.equal(error.status, 404);
        assert.equal(error.code, "InvitationNotFound");
        assert.match(error.message, /no-such-invitation/);
        assert.match(error.url ?? "", /\/app\/invitations\/no-such-invitation$/);
      });
    });

    it("maps a 401 for a caller without a certificate", async () => {
      const anonymous = connectAs();
      await rejectsWith(anonymous.app.listContracts(), (error) => {
        assert.equal(error.status, 401);
        assert.ok(error.code.length > 0 && error.message.length > 0);
      });
      // Signed requests need signing material: refused before anything is sent.
      await rejectsWith(anonymous.gov.propose([]), (error) => {
        assert.equal(error.code, "InvalidRequest");
      });
    });

    it("reports an unreachable endpoint with its URL", async () => {
      const server = createNetServer();
      const port = await listen(server);
      await close(server);
      const url = `https://127.0.0.1:${port}`;
      const transport = new Transport({
        url,
        serviceCertPem: c.sandbox.serviceCertPem,
        retries: 2,
        backoffMs: 1,
      });
      await rejectsWith(new AppClient(transport).me(), (error) => {
        assert.equal(error.status, 0);
        assert.equal(error.code, "Unreachable");
        assert.ok(error.message.includes(url), error.message);
        assert.match(error.message, /check that it is running/);
      });
      transport.close();
    });

    it("refuses a service whose certificate is not the pinned one", async () => {
      const other = await newIdentity("not-the-service");
      const transport = new Transport({ url: c.sandbox.url, serviceCertPem: other.cert });
      await rejectsWith(new AppClient(transport).me(), (error) => {
        assert.equal(error.code, "CertificateMismatch");
        assert.match(error.message, /pin it again/);
      });
      transport.close();
    });

    it("never puts the member's key in an error", async () => {
      const bad = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
      const gov = new GovClient(m0.transport, { certPem: c.members[0]!.cert, privateKeyPem: bad });
      await rejectsWith(gov.propose([]), (error) => {
        assert.equal(error.code, "InvalidSigningKey");
        assert.ok(!error.message.includes("AAAA"));
      });
    });
  });

  describe("retries", () => {
    const sandboxPort = () => Number(new URL(c.sandbox.url).port);

    it("retries a write whose connection was reset before it was sent, and applies it once", async () => {
      // A TCP front that resets the first two connections, then passes bytes through.
      let connections = 0;
      const sockets = new Set<Socket>();
      const front = createNetServer((socket) => {
        sockets.add(socket);
        if (++connections <= 2) {
          socket.resetAndDestroy();
          return;
        }
        const upstream = connect(sandboxPort(), "127.0.0.1");
        sockets.add(upstream);
        socket.pipe(upstream).pipe(socket);
        const end = () => {
          socket.destroy();
          upstream.destroy();
        };
        socket.on("error", end);
        upstream.on("error", end);
      });
      const port = await listen(front);
      const client = connectGovernance({
        url: `https://127.0.0.1:${port}`,
        serviceCertPem: c.sandbox.serviceCertPem,
        member: { certPem: c.members[0]!.cert, privateKeyPem: c.members[0]!.key },
        backoffMs: 1,
      });
      try {
        const proposal = await client.gov.propose([markedAction("retried-once")]);
        assert.equal(proposal.proposalState, "Open");
        assert.equal(connections, 3);
        assert.deepEqual(await proposalsMarked("retried-once"), [proposal.proposalId]);
        await m0.gov.withdraw(proposal.proposalId);
      } finally {
        client.close();
        for (const s of sockets) s.destroy();
        await close(front);
      }
    });

    it("waits out a 503 with Retry-After, and never repeats a write the service may have applied", async () => {
      // A TLS front with its own certificate (pinned by the client) forwarding to the sandbox:
      // signed /gov requests do not depend on the client's TLS identity.
      const front = await loopbackCertificate();
      const upstream = new Transport({
        url: c.sandbox.url,
        serviceCertPem: c.sandbox.serviceCertPem,
      });
      let mode: "busy-once" | "drop-reply" = "busy-once";
      let received = 0;
      let forwarded = 0;
      const server = createHttpsServer({ cert: front.certPem, key: front.keyPem }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          received++;
          if (mode === "busy-once" && received === 1) {
            res.writeHead(503, { "retry-after": "0", "content-type": "application/json" });
            res.end(JSON.stringify({ error: { code: "ServiceUnavailable", message: "busy" } }));
            return;
          }
          const url = new URL(req.url ?? "/", "https://front");
          void upstream
            .request({
              method: "POST",
              path: url.pathname,
              query: Object.fromEntries(url.searchParams),
              body: { bytes: Buffer.concat(chunks), contentType: "application/cose" },
            })
            .then(
              (reply) => {
                forwarded++;
                if (mode === "drop-reply") {
                  req.socket.destroy();
                  return;
                }
                res.writeHead(reply.status, { "content-type": "application/json" });
                res.end(JSON.stringify(reply.body));
              },
              () => req.socket.destroy(),
            );
        });
      });
      const port = await listen(server);
      const client = connectGovernance({
        url: `https://127.0.0.1:${port}`,
        serviceCertPem: front.certPem,
        member: { certPem: c.members[0]!.cert, privateKeyPem: c.members[0]!.key },
        backoffMs: 1,
      });
      try {
        const proposal = await client.gov.propose([markedAction("after-503")]);
        assert.equal(received, 2);
        assert.equal(forwarded, 1);
        assert.deepEqual(await proposalsMarked("after-503"), [proposal.proposalId]);
        await m0.gov.withdraw(proposal.proposalId);

        mode = "drop-reply";
        received = 0;
        forwarded = 0;
        await rejectsWith(client.gov.propose([markedAction("dropped-reply")]), (error) => {
          assert.equal(error.code, "ConnectionLost");
          assert.match(error.message, /may or may not have been applied/);
        });
        assert.equal(received, 1);
        assert.equal(forwarded, 1);
        const applied = await proposalsMarked("dropped-reply");
        assert.equal(applied.length, 1);
        await m0.gov.withdraw(applied[0]!);
      } finally {
        client.close();
        upstream.close();
        server.closeAllConnections();
        await close(server);
      }
    });
  });
});
