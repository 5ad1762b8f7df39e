// cleanroom — constitution addition: the OIDC issuer (docs/oidc-issuer.md).
//
// Governance decides; the app acts. These actions write one record, `issuer`, in
// `public:ccf.gov.cleanroom.oidc_issuer`:
//   {enabled, issuerUrl?, keyRequest, keyRequestProposalId?, maxLifetimeSeconds}
// `keyRequest` is the signing-key generation members have asked for: enabling asks for the first,
// each rotation for the next. A member then calls `POST /app/oidc/signing-keys`, which generates
// that key inside the app (constitution code cannot write private tables, where the private key
// lives). Resolved by the default rule: a majority of active members.
//
//   enable_oidc_issuer      {issuerUrl?}           turn the issuer on (idempotent)
//   set_oidc_issuer_url     {issuerUrl}            the `iss` of every token; https, no query
//   rotate_oidc_signing_key {}                     ask for a new signing key
//   set_oidc_token_policy   {maxLifetimeSeconds}   governance-wide cap on token lifetimes

// Wrapped in a function so that its names stay out of the shared constitution module scope.
(() => {
  const OIDC_ISSUER_TABLE = "public:ccf.gov.cleanroom.oidc_issuer";
  const OIDC_ISSUER_KEY = "issuer";
  /** Lifetime cap until members set one: one hour. */
  const OIDC_DEFAULT_MAX_LIFETIME_SECONDS = 3600;
  /** No policy may allow tokens to live longer than a day. */
  const OIDC_MAX_LIFETIME_LIMIT_SECONDS = 86400;

  function oidcIssuerRecord() {
    return (
      getJson(OIDC_ISSUER_TABLE, OIDC_ISSUER_KEY) ?? {
        enabled: false,
        keyRequest: 0,
        maxLifetimeSeconds: OIDC_DEFAULT_MAX_LIFETIME_SECONDS,
      }
    );
  }

  // An https URL without user info, query or fragment, and without a trailing slash (the JWKS is
  // published at issuerUrl + "/keys", the discovery document at issuerUrl +
  // "/.well-known/openid-configuration").
  function oidcCheckIssuerUrl(value, field) {
    checkType(value, "string", field);
    const example = "e.g. https://issuer.example.com/cleanroom";
    if (value.length > 2048) fail(`${field} must be at most 2048 characters`);
    const match =
      /^https:\/\/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::([0-9]{1,5}))?(\/[^?#\s]*)?$/.exec(value);
    if (!match) {
      fail(`${field} must be an https URL with a host name and no query or fragment, ${example}`);
    }
    if (match[2] !== undefined && (Number(match[2]) < 1 || Number(match[2]) > 65535)) {
      fail(`${field} has an invalid port ${match[2]}`);
    }
    const path = match[3] ?? "";
    if (path.endsWith("/")) fail(`${field} must not end with '/', ${example}`);
    if (!/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$/.test(path)) {
      fail(`${field} has characters that are not allowed in a URL path, ${example}`);
    }
  }

  actions.set("enable_oidc_issuer", {
    validate(args) {
      const { issuerUrl } = checkArgs(args, ["issuerUrl"]);
      if (issuerUrl !== undefined) oidcCheckIssuerUrl(issuerUrl, "issuerUrl");
    },
    apply(args, proposalId) {
      const record = oidcIssuerRecord();
      if (!record.enabled) {
        record.enabled = true;
        if (record.keyRequest < 1) {
          record.keyRequest = 1;
          record.keyRequestProposalId = proposalId;
        }
      }
      if (args && args.issuerUrl !== undefined) record.issuerUrl = args.issuerUrl;
      setJson(OIDC_ISSUER_TABLE, OIDC_ISSUER_KEY, record);
    },
  });

  actions.set("set_oidc_issuer_url", {
    validate(args) {
      const { issuerUrl } = checkArgs(args, ["issuerUrl"]);
      oidcCheckIssuerUrl(issuerUrl, "issuerUrl");
    },
    apply(args) {
      const record = oidcIssuerRecord();
      record.issuerUrl = args.issuerUrl;
      setJson(OIDC_ISSUER_TABLE, OIDC_ISSUER_KEY, record);
    },
  });

  actions.set("rotate_oidc_signing_key", {
    validate(args) {
      checkArgs(args, []);
      if (!oidcIssuerRecord().enabled) {
        fail("the OIDC issuer is not enabled: propose enable_oidc_issuer first");
      }
    },
    apply(_args, proposalId) {
      const record = oidcIssuerRecord();
      record.keyRequest += 1;
      record.keyRequestProposalId = proposalId;
      setJson(OIDC_ISSUER_TABLE, OIDC_ISSUER_KEY, record);
    },
  });

  actions.set("set_oidc_token_policy", {
    validate(args) {
      const { maxLifetimeSeconds } = checkArgs(args, ["maxLifetimeSeconds"]);
      checkType(maxLifetimeSeconds, "integer", "maxLifetimeSeconds");
      if (maxLifetimeSeconds < 1 || maxLifetimeSeconds > OIDC_MAX_LIFETIME_LIMIT_SECONDS) {
        fail(
          `maxLifetimeSeconds must be between 1 and ${OIDC_MAX_LIFETIME_LIMIT_SECONDS} (one day), not ${maxLifetimeSeconds}`,
        );
      }
    },
    apply(args) {
      const record = oidcIssuerRecord();
      record.maxLifetimeSeconds = args.maxLifetimeSeconds;
      setJson(OIDC_ISSUER_TABLE, OIDC_ISSUER_KEY, record);
    },
  });
})();
