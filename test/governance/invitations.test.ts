/**
 * Invitations and identities, as the personas use them over HTTPS: a member invites by proposal,
 * the invitee accepts in one request with its own certificate (or token) and the one-time code,
 * and members read invitations and identities; every refusal, and removal by proposal.
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { exportJWK, SignJWT } from "jose";
import type { Identity, Reply } from "../support/client.js";
import { errorOf, idOf, type Member } from "../support/gov.js";
import { newIdentity, startConsortium, type Consortium } from "./consortium.js";

const ISSUER = "https://login.invitations.example";
const HOUR = 3600;

const nowSeconds = () => Math.floor(Date.now() / 1000);
const newCode = () => randomBytes(32).toString("base64url");
const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

interface Invitation {
  invitationId: string;
  role: string;
  displayName: string;
  expiresAt: number;
  invitedBy?: string;
  status: string;
  identityId?: string;
  acceptedAt?: number;
  version: string;
}

interface IdentityView {
  identityId: string;
  role: string;
  displayName: string;
  invitationId: string;
  certPem?: string;
  jwt?: { issuer: string; subject: string };
  removed: boolean;
  version: string;
}

describe("governance app: invitations and identities", function () {
  let c: Consortium;
  let member0: Member;
  let signingKey: KeyObject;
  let counter = 0;
  /** Every invitation passed so far, in order. */
  const invited: string[] = [];

  before(async () => {
    c = await startConsortium();
    member0 = c.members[0]!;
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    signingKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "invitations-kid" };
    await c.pass([{ name: "set_jwt_issuer", args: { issuer: ISSUER, jwks: { keys: [jwk] } } }]);
  });
  after(async () => c?.stop());

  /** Passes an `invite` proposal; returns the id and the one-time code the invitee receives. */
  async function invite(
    options: { role?: string; expiresAt?: number; displayName?: string; id?: string } = {},
  ): Promise<{ invitationId: string; code: string; displayName: string }> {
    counter++;
    const invitationId = options.id ?? `inv-${counter}`;
    const displayName = options.displayName ?? `Invitee ${counter}`;
    const code = newCode();
    await c.pass([
      {
        name: "invite",
        args: {
          invitationId,
          role: options.role ?? "user",
          displayName,
          expiresAt: options.expiresAt ?? nowSeconds() + HOUR,
          codeHash: sha256Hex(code),
        },
      },
    ]);
    invited.push(invitationId);
    return { invitationId, code, displayName };
  }

  const accept = (
    as: Identity | undefined,
    invitationId: string,
    body: unknown,
    headers?: Record<string, string>,
  ) =>
    c.call(as, `/app/invitations/${encodeURIComponent(invitationId)}/accept`, {
      method: "POST",
      body: body as object,
      headers,
    });

  const me = async (as: Identity | undefined, headers?: Record<string, string>) =>
    (await c.call(as, "/app/me", { headers })).json<{ kind: string; id?: string }>();

  const token = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "invitations-kid" })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(signingKey);

  function assertRefused(reply: Reply, status: number, code: string) {
    assert.equal(reply.status, status, reply.text);
    assert.equal(errorOf(reply).code, code, reply.text);
    assert.ok(errorOf(reply).message.length > 0);
  }

  async function proposalRefused(name: string, args: unknown, message: RegExp) {
    const reply = await c.gov.propose(member0, [{ name, args }]);
    assert.equal(reply.status, 400, `${name} ${JSON.stringify(args)}: ${reply.text}`);
    const error = errorOf(reply);
    assert.equal(error.code, "ProposalFailedToValidate");
    assert.match(error.message, message, `${name} ${JSON.stringify(args)}`);
  }

  describe("accepting", () => {
    it("makes a fresh certificate a user in one request, with the code", async () => {
      const { invitationId, code, displayName } = await invite();
      const invitee = await newIdentity("alice");
      assert.equal((await me(invitee)).kind, "anonymous");

      const reply = await accept(invitee, invitationId, { code });
      assert.equal(reply.status, 201, reply.text);
      const identityId = idOf(invitee.cert);
      assert.deepEqual(reply.json(), { identityId, role: "user", displayName, invitationId });

      assert.deepEqual(await me(invitee), {
        kind: "user",
        id: identityId,
        displayName,
        registered: true,
      });

      const invitation = await c.call(member0, `/app/invitations/${invitationId}`);
      assert.equal(invitation.status, 200, invitation.text);
      const view = invitation.json<Invitation>();
      assert.equal(view.status, "Accepted");
      assert.equal(view.identityId, identityId);
      assert.equal(view.invitedBy, member0.id);
      assert.equal(view.role, "user");
      assert.match(view.version, /^\d+\.\d+$/);
      assert.equal(typeof view.acceptedAt, "number");
      assert.ok(!invitation.text.includes(sha256Hex(code)), "the code's hash is never returned");
      assert.ok(!invitation.text.includes(code), "the code is never returned");

      const identity = await c.call(member0, `/app/identities/${identityId}`);
      assert.equal(identity.status, 200, identity.text);
      const record = identity.json<IdentityView>();
      assert.equal(record.identityId, identityId);
      assert.equal(record.role, "user");
      assert.equal(record.displayName, displayName);
      assert.equal(record.invitationId, invitationId);
      assert.equal(record.removed, false);
      assert.equal(idOf(record.certPem!), identityId);
    });

    it("accepts a token identity from an issuer set by proposal", async () => {
      const { invitationId, code, displayName } = await invite();
      const headers = { authorization: `Bearer ${await token({ sub: "carol" })}` };
      assert.equal((await me(undefined, headers)).kind, "anonymous");

      const reply = await accept(undefined, invitationId, { code }, headers);
      assert.equal(reply.status, 201, reply.text);
      const identityId = `jwt:${ISSUER}:carol`;
      assert.deepEqual(reply.json(), { identityId, role: "user", displayName, invitationId });

      // Any later token of the same issuer and subject is the same user.
      const later = { authorization: `Bearer ${await token({ sub: "carol", nonce: "n2" })}` };
      assert.deepEqual(await me(undefined, later), {
        kind: "user",
        id: identityId,
        displayName,
        registered: true,
      });
      const identity = await c.call(member0, `/app/identities/${encodeURIComponent(identityId)}`);
      assert.equal(identity.status, 200, identity.text);
      assert.deepEqual(identity.json<IdentityView>().jwt, { issuer: ISSUER, subject: "carol" });

      // The same token identity cannot accept a second invitation.
      const second = await invite();
      assertRefused(
        await accept(undefined, second.invitationId, { code: second.code }, later),
        409,
        "IdentityAlreadyRegistered",
      );
    });

    it("refuses a token for a member invitation: members are certificates", async () => {
      const { invitationId, code } = await invite({ role: "member" });
      const headers = { authorization: `Bearer ${await token({ sub: "erin" })}` };
      assertRefused(
        await accept(undefined, invitationId, { code }, headers),
        403,
        "CertificateRequired",
      );
      const view = (await c.call(member0, `/app/invitations/${invitationId}`)).json<Invitation>();
      assert.equal(view.status, "Open");
    });

    it("refuses a token without a subject", async () => {
      const { invitationId, code } = await invite();
      const headers = { authorization: `Bearer ${await token({})}` };
      assertRefused(
        await accept(undefined, invitationId, { code }, headers),
        401,
        "TokenSubjectRequired",
      );
    });

    it("records a member invitee without making it a user; set_member then makes it a member", async () => {
      const { invitationId, code, displayName } = await invite({ role: "member" });
      const invitee = await newIdentity("future-member");
      const reply = await accept(invitee, invitationId, { code });
      assert.equal(reply.status, 201, reply.text);
      const identityId = idOf(invitee.cert);
      assert.deepEqual(reply.json(), { identityId, role: "member", displayName, invitationId });
      assert.equal((await me(invitee)).kind, "anonymous", "an invited member is not a user");
      assert.equal((await c.call(invitee, "/app/identities")).status, 403);

      // The inviting member proposes set_member with the certificate the invitee accepted with.
      const record = (await c.call(member0, `/app/identities/${identityId}`)).json<IdentityView>();
      assert.equal(record.role, "member");
      await c.pass([{ name: "set_member", args: { cert: record.certPem } }]);
      const newMember: Member = { ...invitee, id: identityId };
      const digest = await c.gov.post(
        `/members/state-digests/${identityId}:update`,
        c.gov.sign(newMember, "state_digest", ""),
      );
      assert.equal(digest.status, 200, digest.text);
      const stateDigest = digest.json<{ stateDigest: string }>().stateDigest;
      const ack = await c.gov.post(
        `/members/state-digests/${identityId}:ack`,
        c.gov.sign(newMember, "ack", { stateDigest }),
      );
      assert.equal(ack.status, 204, ack.text);
      assert.deepEqual(await me(invitee), { kind: "member", id: identityId, registered: true });

      // Back to one active member, so that the other tests' proposals pass as before.
      const removal = await c.gov.propose(member0, [
        { name: "remove_member", args: { member_id: identityId } },
      ]);
      assert.equal(removal.status, 200, removal.text);
      const { proposalId } = removal.json<{ proposalId: string }>();
      const vote = await c.gov.vote(newMember, proposalId, true);
      assert.equal(vote.json<{ proposalState: string }>().proposalState, "Accepted", vote.text);
      assert.equal((await me(invitee)).kind, "anonymous");
    });
  });

  describe("refusing", () => {
    it("an unknown invitation (404)", async () => {
      const invitee = await newIdentity("nobody-invited");
      assertRefused(
        await accept(invitee, "no-such-invitation", { code: newCode() }),
        404,
        "InvitationNotFound",
      );
    });

    it("a revoked invitation (409), even with the right code", async () => {
      const { invitationId, code } = await invite();
      await c.pass([{ name: "revoke_invitation", args: { invitationId } }]);
      const invitee = await newIdentity("revoked");
      assertRefused(await accept(invitee, invitationId, { code }), 409, "InvitationRevoked");
      assertRefused(
        await accept(invitee, invitationId, { code: newCode() }),
        409,
        "InvitationRevoked",
      );
      assert.equal((await me(invitee)).kind, "anonymous");
    });

    it("an expired invitation (410)", async () => {
      const { invitationId, code } = await invite({ expiresAt: nowSeconds() - 60 });
      const invitee = await newIdentity("late");
      assertRefused(await accept(invitee, invitationId, { code }), 410, "InvitationExpired");
      assert.equal((await me(invitee)).kind, "anonymous");
    });

    it("a wrong code (403) without consuming the invitation or revealing its hash", async () => {
      const { invitationId, code } = await invite();
      const invitee = await newIdentity("typo");
      const wrong = await accept(invitee, invitationId, { code: `${code}x` });
      assertRefused(wrong, 403, "InvalidInvitationCode");
      assert.ok(!wrong.text.includes(sha256Hex(code)));
      assert.equal((await me(invitee)).kind, "anonymous");
      assert.equal((await accept(invitee, invitationId, { code })).status, 201);
    });

    it("a code used once already (409): the first acceptance consumes it", async () => {
      const { invitationId, code } = await invite();
      const first = await newIdentity("first");
      assert.equal((await accept(first, invitationId, { code })).status, 201);
      const second = await newIdentity("second");
      assertRefused(await accept(second, invitationId, { code }), 409, "InvitationAlreadyUsed");
      assert.equal((await me(second)).kind, "anonymous");
      assertRefused(await accept(first, invitationId, { code }), 409, "InvitationAlreadyUsed");
    });

    it("an identity already registered (409): a user, a member, an invited identity", async () => {
      const invited = await newIdentity("already");
      const { invitationId, code } = await invite();
      assert.equal((await accept(invited, invitationId, { code })).status, 201);
      for (const as of [c.users[0]!, member0, invited]) {
        const fresh = await invite();
        assertRefused(
          await accept(as, fresh.invitationId, { code: fresh.code }),
          409,
          "IdentityAlreadyRegistered",
        );
        // Refused acceptances leave the invitation open.
        const view = (
          await c.call(member0, `/app/invitations/${fresh.invitationId}`)
        ).json<Invitation>();
        assert.equal(view.status, "Open");
      }
    });

    it("a caller with neither certificate nor token (401)", async () => {
      const { invitationId, code } = await invite();
      const reply = await accept(undefined, invitationId, { code });
      assert.equal(reply.status, 401, reply.text);
      const view = (await c.call(member0, `/app/invitations/${invitationId}`)).json<Invitation>();
      assert.equal(view.status, "Open");
    });

    it("a body without a code (400)", async () => {
      const { invitationId } = await invite();
      const invitee = await newIdentity("no-code");
      assertRefused(await accept(invitee, invitationId, {}), 400, "InvalidCode");
      assertRefused(await accept(invitee, invitationId, { code: 42 }), 400, "InvalidCode");
      assertRefused(await accept(invitee, invitationId, "not json"), 400, "InvalidJson");
    });
  });

  describe("removing identities", () => {
    it("makes an invited identity anonymous again, for good", async () => {
      const { invitationId, code } = await invite();
      const invitee = await newIdentity("leaver");
      assert.equal((await accept(invitee, invitationId, { code })).status, 201);
      const identityId = idOf(invitee.cert);
      assert.equal((await me(invitee)).kind, "user");

      await c.pass([{ name: "remove_identity", args: { identityId } }]);
      assert.deepEqual(await me(invitee), { kind: "anonymous", registered: false });
      const record = (await c.call(member0, `/app/identities/${identityId}`)).json<IdentityView>();
      assert.equal(record.removed, true);

      const again = await invite();
      assertRefused(
        await accept(invitee, again.invitationId, { code: again.code }),
        403,
        "IdentityRemoved",
      );
    });

    it("makes a token identity and a user registered by set_user anonymous", async () => {
      const { invitationId, code } = await invite();
      const headers = { authorization: `Bearer ${await token({ sub: "dave" })}` };
      assert.equal((await accept(undefined, invitationId, { code }, headers)).status, 201);
      assert.equal((await me(undefined, headers)).kind, "user");
      const user1 = c.users[1]!;
      assert.equal((await me(user1)).kind, "user");

      await c.pass([
        { name: "remove_identity", args: { identityId: `jwt:${ISSUER}:dave` } },
        { name: "remove_identity", args: { identityId: idOf(user1.cert) } },
      ]);
      assert.equal((await me(undefined, headers)).kind, "anonymous");
      assert.equal((await me(user1)).kind, "anonymous");
      assert.equal((await c.call(member0, "/app/me")).json<{ kind: string }>().kind, "member");
    });
  });

  describe("listing", () => {
    it("pages through every invitation with its computed status", async () => {
      const open = await invite();
      const accepted = await invite();
      const revoked = await invite();
      const expired = await invite({ expiresAt: nowSeconds() - 1 });
      const lister = await newIdentity("lister");
      const accepting = await accept(lister, accepted.invitationId, { code: accepted.code });
      assert.equal(accepting.status, 201, accepting.text);
      await c.pass([{ name: "revoke_invitation", args: { invitationId: revoked.invitationId } }]);

      const seen = new Map<string, Invitation>();
      let path: string | undefined = "/app/invitations?limit=2";
      let pages = 0;
      while (path) {
        const reply = await c.call(member0, path);
        assert.equal(reply.status, 200, reply.text);
        const page = reply.json<{ value: Invitation[]; nextLink?: string }>();
        assert.ok(page.value.length <= 2);
        for (const item of page.value) {
          assert.ok(!seen.has(item.invitationId), `${item.invitationId} listed twice`);
          assert.equal("codeHash" in item, false);
          seen.set(item.invitationId, item);
        }
        path = page.nextLink;
        pages++;
      }
      assert.deepEqual([...seen.keys()], invited, "every invitation, once, in proposal order");
      assert.ok(pages >= Math.ceil(invited.length / 2));
      assert.equal(seen.get(open.invitationId)?.status, "Open");
      assert.equal(seen.get(accepted.invitationId)?.status, "Accepted");
      assert.equal(seen.get(revoked.invitationId)?.status, "Revoked");
      assert.equal(seen.get(expired.invitationId)?.status, "Expired");
    });

    it("pages through identities", async () => {
      const reply = await c.call(member0, "/app/identities?limit=1");
      assert.equal(reply.status, 200, reply.text);
      const first = reply.json<{ value: IdentityView[]; nextLink?: string }>();
      assert.equal(first.value.length, 1);
      assert.ok(first.nextLink, "more than one identity was accepted");
      const ids = new Set(first.value.map((i) => i.identityId));
      let path: string | undefined = first.nextLink;
      while (path) {
        const next: Reply = await c.call(member0, path);
        const page = next.json<{ value: IdentityView[]; nextLink?: string }>();
        for (const item of page.value) ids.add(item.identityId);
        path = page.nextLink;
      }
      assert.ok(ids.has(`jwt:${ISSUER}:carol`));
      const all = (await c.call(member0, "/app/identities?limit=200")).json<{
        value: IdentityView[];
      }>();
      assert.equal(all.value.length, ids.size);
    });

    it("refuses bad paging parameters (400)", async () => {
      for (const query of ["limit=0", "limit=201", "start=-1", "limit=abc"]) {
        const reply = await c.call(member0, `/app/invitations?${query}`);
        assertRefused(reply, 400, "InvalidParameter");
      }
    });

    it("answers 404 for an unknown invitation or identity", async () => {
      assertRefused(await c.call(member0, "/app/invitations/nope"), 404, "InvitationNotFound");
      assertRefused(await c.call(member0, "/app/identities/nope"), 404, "IdentityNotFound");
    });

    it("serves members only", async () => {
      const { invitationId, code } = await invite();
      const invitee = await newIdentity("curious");
      assert.equal((await accept(invitee, invitationId, { code })).status, 201);
      const stranger = await newIdentity("stranger");
      const paths = [
        "/app/invitations",
        `/app/invitations/${invitationId}`,
        "/app/identities",
        `/app/identities/${idOf(invitee.cert)}`,
      ];
      for (const path of paths) {
        assert.equal((await c.call(member0, path)).status, 200, path);
        for (const as of [c.users[0]!, invitee, stranger]) {
          assertRefused(await c.call(as, path), 403, "MemberRequired");
        }
        assert.equal((await c.call(undefined, path)).status, 401, path);
      }
    });
  });

  describe("two proposals for one invitation id", () => {
    let c2: Consortium;
    before(async () => {
      c2 = await startConsortium({ members: 2 });
    });
    after(async () => c2?.stop());

    it("lets only the first pass: the second fails when applied", async () => {
      const [first, second] = [newCode(), newCode()];
      const invite = (code: string) => [
        {
          name: "invite",
          args: {
            invitationId: "twin",
            role: "user",
            displayName: "Twin",
            expiresAt: nowSeconds() + HOUR,
            codeHash: sha256Hex(code),
          },
        },
      ];
      const [m0, m1] = [c2.members[0]!, c2.members[1]!];
      // Both validate: neither has been applied yet.
      const p1 = (await c2.gov.propose(m0, invite(first))).json<{ proposalId: string }>();
      const p2 = (await c2.gov.propose(m0, invite(second))).json<{ proposalId: string }>();
      const accepted = await c2.gov.vote(m1, p1.proposalId, true);
      assert.equal(accepted.json<{ proposalState: string }>().proposalState, "Accepted");

      const failed = await c2.gov.vote(m1, p2.proposalId, true);
      assert.notEqual(failed.status, 200, failed.text);
      assert.match(failed.text, /invitation twin already exists/);
      const state = (await c2.gov.proposal(p2.proposalId)).json<{ proposalState: string }>();
      assert.notEqual(state.proposalState, "Accepted");

      const invitee = await newIdentity("twin");
      const path = "/app/invitations/twin/accept";
      const wrong = await c2.call(invitee, path, { method: "POST", body: { code: second } });
      assertRefused(wrong, 403, "InvalidInvitationCode");
      const right = await c2.call(invitee, path, { method: "POST", body: { code: first } });
      assert.equal(right.status, 201, right.text);
    });
  });

  describe("validating proposals", () => {
    const valid = () => ({
      invitationId: `valid-${++counter}`,
      role: "user",
      displayName: "Someone",
      expiresAt: nowSeconds() + HOUR,
      codeHash: sha256Hex(newCode()),
    });

    it("invite: refuses bad arguments with a clear message", async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ invitationId: "has space" }, /invitationId must be 1 to 64 characters/],
        [{ invitationId: "x".repeat(65) }, /invitationId must be 1 to 64 characters/],
        [{ invitationId: "" }, /invitationId must be 1 to 64 characters/],
        [{ role: "admin" }, /role must be one of user, member/],
        [{ displayName: "" }, /displayName must be a string of 1 to 100 characters/],
        [{ displayName: "   " }, /displayName must be a string of 1 to 100 characters/],
        [{ displayName: "d".repeat(101) }, /displayName must be a string of 1 to 100/],
        [{ expiresAt: 1.5 }, /expiresAt must be a positive integer/],
        [{ expiresAt: -5 }, /expiresAt must be a positive integer/],
        [{ expiresAt: "tomorrow" }, /expiresAt must be a positive integer/],
        [{ expiresAt: Date.now() + 3_600_000 }, /not milliseconds/],
        [{ codeHash: "ABCDEF".repeat(10) + "ABCD" }, /codeHash must be the SHA-256/],
        [{ codeHash: undefined }, /codeHash must be the SHA-256/],
        [{ code: "the-code" }, /unexpected argument code/],
      ];
      for (const [change, message] of cases) {
        await proposalRefused("invite", { ...valid(), ...change }, message);
      }
      await proposalRefused("invite", "not an object", /args must be of type object/);
    });

    it("invite: refuses an id that already exists", async () => {
      const { invitationId } = await invite();
      await proposalRefused(
        "invite",
        { ...valid(), invitationId },
        new RegExp(`invitation ${invitationId} already exists`),
      );
    });

    it("revoke_invitation: refuses unknown, already revoked and malformed ids", async () => {
      await proposalRefused(
        "revoke_invitation",
        { invitationId: "never-made" },
        /there is no invitation never-made/,
      );
      const { invitationId } = await invite();
      await c.pass([{ name: "revoke_invitation", args: { invitationId } }]);
      await proposalRefused(
        "revoke_invitation",
        { invitationId },
        new RegExp(`invitation ${invitationId} is already revoked`),
      );
      await proposalRefused(
        "revoke_invitation",
        { invitationId: "a/b" },
        /invitationId must be 1 to 64 characters/,
      );
      await proposalRefused(
        "revoke_invitation",
        { invitationId, reason: "x" },
        /unexpected argument reason/,
      );
    });

    it("remove_identity: refuses malformed ids, members and identities already removed", async () => {
      await proposalRefused("remove_identity", { identityId: "alice" }, /identityId must be/);
      await proposalRefused("remove_identity", { identityId: 7 }, /identityId must be of type/);
      await proposalRefused(
        "remove_identity",
        { identityId: "AB".repeat(32) },
        /identityId must be/,
      );
      await proposalRefused(
        "remove_identity",
        { identityId: member0.id },
        /is a member: remove it with remove_member/,
      );
      const identityId = sha256Hex("some certificate");
      await c.pass([{ name: "remove_identity", args: { identityId } }]);
      await proposalRefused(
        "remove_identity",
        { identityId },
        new RegExp(`identity ${identityId} is already removed`),
      );
    });
  });
});
