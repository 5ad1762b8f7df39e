// cleanroom — constitution addition: key-encryption keys and key release (docs/governance.md,
// "Keys and attested clean rooms").
//
// Governance decides; the app acts. Constitution code cannot write private tables, where KEK
// private keys live, so rotation is a decision here and an act there:
//
//   rotate_kek              {reason?}                 start the next KEK generation; a member then
//                                                     calls POST /app/keys, which makes that
//                                                     generation's KEK inside the app. Older KEKs
//                                                     stay, for the datasets wrapped to them.
//   set_key_release_policy  {nonceLifetimeSeconds}    how long a run's attestation nonce lives
//                                                     (1 to 3600 s; 300 until set)
//
// Both write `public:ccf.gov.cleanroom.*` tables under the key "policy". Resolved by the default
// rule: a majority of active members.
{
  const KEK_POLICY_TABLE = "public:ccf.gov.cleanroom.kek_policy";
  const KEY_RELEASE_POLICY_TABLE = "public:ccf.gov.cleanroom.key_release_policy";
  const KEYS_POLICY_KEY = "policy";

  actions.set("rotate_kek", {
    validate(args) {
      const { reason } = checkArgs(args, ["reason"]);
      checkOptional(reason, "string", "reason");
      if (reason !== undefined && reason.length > 1024)
        fail("reason must be at most 1024 characters");
    },
    apply(args, proposalId) {
      const current = getJson(KEK_POLICY_TABLE, KEYS_POLICY_KEY);
      const generation =
        current && Number.isInteger(current.generation) && current.generation >= 1
          ? current.generation
          : 1;
      const next = { generation: generation + 1, proposalId };
      if (args && args.reason !== undefined) next.reason = args.reason;
      setJson(KEK_POLICY_TABLE, KEYS_POLICY_KEY, next);
    },
  });

  actions.set("set_key_release_policy", {
    validate(args) {
      const { nonceLifetimeSeconds } = checkArgs(args, ["nonceLifetimeSeconds"]);
      checkType(nonceLifetimeSeconds, "integer", "nonceLifetimeSeconds");
      if (nonceLifetimeSeconds < 1 || nonceLifetimeSeconds > 3600) {
        fail(`nonceLifetimeSeconds must be between 1 and 3600, not ${nonceLifetimeSeconds}`);
      }
    },
    apply(args, proposalId) {
      setJson(KEY_RELEASE_POLICY_TABLE, KEYS_POLICY_KEY, {
        nonceLifetimeSeconds: args.nonceLifetimeSeconds,
        proposalId,
      });
    },
  });
}
