// cleanroom governance — invitations and identities (docs/governance.md, "Principals").
//
// `invite` records an invitation (a governance decision); the invitee accepts it through the app
// (`POST /app/invitations/{invitationId}/accept`), which records the identity in an app table.
// `revoke_invitation` closes an invitation; `remove_identity` makes an identity anonymous again.
// All three are resolved by the default rule (majority of active members).
//
// Constitution code reads only governance tables and cannot read app tables, so the list of
// invitations that `GET /app/invitations` pages through is kept here, in a governance table
// (`invitation_index`: key "count" holds the number of invitations, key "<position>" the id of
// the invitation at that position), written by `invite` as it records each invitation.
(() => {
  const INVITATIONS = "public:ccf.gov.cleanroom.invitations";
  const INVITATION_INDEX = "public:ccf.gov.cleanroom.invitation_index";
  const REMOVED_IDENTITIES = "public:ccf.gov.cleanroom.removed_identities";
  const PROPOSALS_INFO = "public:ccf.gov.proposals_info";
  const MEMBERS_CERTS = "public:ccf.gov.members.certs";

  const INVITATION_ID = /^[A-Za-z0-9_-]{1,64}$/;
  const CODE_HASH = /^[0-9a-f]{64}$/;
  const CERT_IDENTITY_ID = /^[0-9a-f]{64}$/;
  // Unix seconds up to the year 2286: a larger value is almost surely milliseconds.
  const MAX_SECONDS = 9999999999;

  function onlyFields(args, allowed) {
    checkType(args, "object", "args");
    for (const field of Object.keys(args)) {
      if (!allowed.includes(field)) {
        fail(`unexpected argument ${field} (expected only ${allowed.join(", ")})`);
      }
    }
  }

  function checkInvitationId(value) {
    if (typeof value !== "string" || !INVITATION_ID.test(value)) {
      fail("invitationId must be 1 to 64 characters among A-Z, a-z, 0-9, _ and -");
    }
  }

  function checkIdentityId(value) {
    checkType(value, "string", "identityId");
    const isCert = CERT_IDENTITY_ID.test(value);
    const isJwt = value.startsWith("jwt:") && value.length > 4 && value.length <= 2048;
    if (!isCert && !isJwt) {
      fail(
        "identityId must be a certificate identity (64 lower-case hex characters) " +
          "or a token identity (jwt:<issuer>:<subject>)",
      );
    }
  }

  function proposerOf(proposalId) {
    const info = getJson(PROPOSALS_INFO, proposalId);
    return info === undefined ? undefined : info.proposer_id;
  }

  actions.set("invite", {
    validate(args) {
      onlyFields(args, ["invitationId", "role", "displayName", "expiresAt", "codeHash"]);
      checkInvitationId(args.invitationId);
      checkEnum(args.role, ["user", "member"], "role");
      if (
        typeof args.displayName !== "string" ||
        args.displayName.trim().length === 0 ||
        args.displayName.length > 100
      ) {
        fail("displayName must be a string of 1 to 100 characters, not only spaces");
      }
      if (!Number.isInteger(args.expiresAt) || args.expiresAt <= 0) {
        fail("expiresAt must be a positive integer: the expiry in Unix seconds");
      }
      if (args.expiresAt > MAX_SECONDS) {
        fail("expiresAt is too large: give the expiry in Unix seconds, not milliseconds");
      }
      if (typeof args.codeHash !== "string" || !CODE_HASH.test(args.codeHash)) {
        fail(
          "codeHash must be the SHA-256 of the one-time code as 64 lower-case hex characters " +
            "(never the code itself)",
        );
      }
      if (getJson(INVITATIONS, args.invitationId) !== undefined) {
        fail(`invitation ${args.invitationId} already exists: choose another invitationId`);
      }
    },
    apply(args, proposalId) {
      // Checked again: another proposal with the same id may have passed since this was proposed.
      if (getJson(INVITATIONS, args.invitationId) !== undefined) {
        fail(`invitation ${args.invitationId} already exists`);
      }
      setJson(INVITATIONS, args.invitationId, {
        invitationId: args.invitationId,
        role: args.role,
        displayName: args.displayName,
        expiresAt: args.expiresAt,
        codeHash: args.codeHash,
        invitedBy: proposerOf(proposalId),
        proposalId,
        status: "Open",
      });
      const count = getJson(INVITATION_INDEX, "count") || 0;
      setJson(INVITATION_INDEX, String(count), args.invitationId);
      setJson(INVITATION_INDEX, "count", count + 1);
    },
  });

  actions.set("revoke_invitation", {
    validate(args) {
      onlyFields(args, ["invitationId"]);
      checkInvitationId(args.invitationId);
      const invitation = getJson(INVITATIONS, args.invitationId);
      if (invitation === undefined) fail(`there is no invitation ${args.invitationId}`);
      if (invitation.status === "Revoked") {
        fail(`invitation ${args.invitationId} is already revoked`);
      }
    },
    apply(args, proposalId) {
      const invitation = getJson(INVITATIONS, args.invitationId);
      if (invitation === undefined) fail(`there is no invitation ${args.invitationId}`);
      invitation.status = "Revoked";
      invitation.revokedBy = proposerOf(proposalId);
      invitation.revokedByProposal = proposalId;
      setJson(INVITATIONS, args.invitationId, invitation);
    },
  });

  actions.set("remove_identity", {
    validate(args) {
      onlyFields(args, ["identityId"]);
      checkIdentityId(args.identityId);
      if (getJson(REMOVED_IDENTITIES, args.identityId) !== undefined) {
        fail(`identity ${args.identityId} is already removed`);
      }
      if (ccf.kv[MEMBERS_CERTS].has(ccf.strToBuf(args.identityId))) {
        fail(`identity ${args.identityId} is a member: remove it with remove_member`);
      }
    },
    apply(args, proposalId) {
      setJson(REMOVED_IDENTITIES, args.identityId, {
        removedBy: proposerOf(proposalId),
        proposalId,
      });
    },
  });
})();
