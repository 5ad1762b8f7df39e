// cleanroom sandbox — default constitution, part 1 of 4: actions.
// Each action has `validate(args)` (throws on bad arguments; runs read-only) and
// `apply(args, proposalId)` (runs in the governance apply context, may write governance tables).

const SINGLETON_KEY = new ArrayBuffer(8);

function fail(message) {
  throw new Error(message);
}

function checkType(value, type, field) {
  const ok =
    type === "array"
      ? Array.isArray(value)
      : type === "integer"
        ? Number.isInteger(value)
        : type === "object"
          ? value !== null && typeof value === "object" && !Array.isArray(value)
          : typeof value === type;
  if (!ok) fail(`${field} must be of type ${type} but is of type ${typeof value}`);
}

function checkOptional(value, type, field) {
  if (value !== undefined && value !== null) checkType(value, type, field);
}

/** `args` as an object (an absent one as `{}`), refusing any argument not in `allowed`. */
function checkArgs(args, allowed) {
  if (args === undefined || args === null) return {};
  checkType(args, "object", "args");
  for (const name of Object.keys(args)) {
    if (!allowed.includes(name)) {
      fail(
        allowed.length === 0
          ? `takes no arguments, but was given '${name}'`
          : `unknown argument '${name}' (expected: ${allowed.join(", ")})`,
      );
    }
  }
  return args;
}

function checkEnum(value, allowed, field) {
  if (!allowed.includes(value)) fail(`${field} must be one of ${allowed.join(", ")}`);
}

function checkCert(value, field) {
  checkType(value, "string", field);
  if (!ccf.crypto.isValidX509CertBundle(value))
    fail(`${field} must be a valid X509 certificate (bundle) in PEM format`);
}

function checkEntityId(value, field) {
  checkType(value, "string", field);
  if (!/^[a-f0-9]{64}$/.test(value))
    fail(`${field} must contain exactly 64 lower-case hex characters`);
}

function kvString(map, key) {
  const value = ccf.kv[map].get(ccf.strToBuf(key));
  return value === undefined ? undefined : ccf.bufToStr(value);
}

function setJson(map, key, value) {
  ccf.kv[map].set(
    typeof key === "string" ? ccf.strToBuf(key) : key,
    ccf.jsonCompatibleToBuf(value),
  );
}

function getJson(map, key) {
  const value = ccf.kv[map].get(typeof key === "string" ? ccf.strToBuf(key) : key);
  return value === undefined ? undefined : ccf.bufToJsonCompatible(value);
}

const AUTH_POLICIES = ["user_cert", "member_cert", "any_cert", "jwt", "user_cose_sign1", "no_auth"];

function checkAuthnPolicies(policies, field) {
  checkType(policies, "array", field);
  for (const policy of policies) {
    if (typeof policy === "string") continue;
    checkType(policy, "object", `${field} entry`);
    checkType(policy.all_of, "array", `${field} all_of`);
    const seen = new Set();
    for (const name of policy.all_of) {
      checkType(name, "string", `${field} all_of entry`);
      if (seen.has(name)) fail(`${field}: all_of lists ${name} twice`);
      seen.add(name);
    }
  }
}

function checkBundle(bundle) {
  checkType(bundle, "object", "bundle");
  checkType(bundle.metadata, "object", "bundle.metadata");
  checkType(bundle.modules, "array", "bundle.modules");
  const names = new Set();
  for (const module of bundle.modules) {
    checkType(module, "object", "bundle.modules entry");
    checkType(module.name, "string", "bundle.modules entry name");
    checkType(module.module, "string", `module ${module.name}`);
    names.add(module.name);
  }
  checkType(bundle.metadata.endpoints, "object", "bundle.metadata.endpoints");
  for (const [path, methods] of Object.entries(bundle.metadata.endpoints)) {
    checkType(methods, "object", `endpoint ${path}`);
    for (const [method, info] of Object.entries(methods)) {
      const where = `${method.toUpperCase()} ${path}`;
      checkType(info, "object", where);
      checkType(info.js_module, "string", `${where} js_module`);
      checkType(info.js_function, "string", `${where} js_function`);
      checkEnum(info.mode, ["readwrite", "readonly", "historical"], `${where} mode`);
      checkEnum(
        info.forwarding_required,
        ["sometimes", "always", "never"],
        `${where} forwarding_required`,
      );
      if (info.redirection_strategy !== undefined) {
        checkEnum(
          info.redirection_strategy,
          ["none", "to_primary", "to_backup"],
          `${where} redirection_strategy`,
        );
      }
      checkOptional(info.openapi, "object", `${where} openapi`);
      checkOptional(info.openapi_hidden, "boolean", `${where} openapi_hidden`);
      checkAuthnPolicies(info.authn_policies, `${where} authn_policies`);
      if (info.interpreter_reuse !== undefined) {
        checkType(info.interpreter_reuse, "object", `${where} interpreter_reuse`);
        checkType(info.interpreter_reuse.key, "string", `${where} interpreter_reuse.key`);
      }
      if (!names.has(info.js_module))
        fail(`${where}: module '${info.js_module}' not found in bundle`);
    }
  }
}

function checkJwks(jwks, field) {
  checkType(jwks, "object", field);
  checkType(jwks.keys, "array", `${field}.keys`);
  for (const jwk of jwks.keys) {
    checkType(jwk.kid, "string", `${field}.keys[].kid`);
    if (jwk.x5c !== undefined) {
      checkType(jwk.x5c, "array", `${field}.keys[].x5c`);
    } else if (jwk.n !== undefined || jwk.e !== undefined) {
      checkType(jwk.n, "string", `${field}.keys[].n`);
      checkType(jwk.e, "string", `${field}.keys[].e`);
    } else if (jwk.x !== undefined || jwk.y !== undefined) {
      checkType(jwk.x, "string", `${field}.keys[].x`);
      checkType(jwk.y, "string", `${field}.keys[].y`);
      checkType(jwk.crv, "string", `${field}.keys[].crv`);
    } else {
      fail(`${field}: key ${jwk.kid} has neither x5c, n/e nor x/y/crv`);
    }
  }
}

// Marks every other Open proposal Dropped: used when a change (a new constitution) alters what
// they would mean if they passed.
function dropOtherOpenProposals(proposalId) {
  const info = ccf.kv["public:ccf.gov.proposals_info"];
  const dropped = [];
  info.forEach((value, key) => {
    const id = ccf.bufToStr(key);
    const record = ccf.bufToJsonCompatible(value);
    if (id !== proposalId && record.state === "Open") {
      record.state = "Dropped";
      dropped.push([key, record]);
    }
  });
  for (const [key, record] of dropped) info.set(key, ccf.jsonCompatibleToBuf(record));
}

const actions = new Map([
  [
    "set_constitution",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkType(args.constitution, "string", "constitution");
      },
      apply(args, proposalId) {
        ccf.kv["public:ccf.gov.constitution"].set(
          SINGLETON_KEY,
          ccf.jsonCompatibleToBuf(args.constitution),
        );
        dropOtherOpenProposals(proposalId);
      },
    },
  ],
  [
    "set_service_configuration",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkOptional(args.recovery_threshold, "integer", "recovery_threshold");
        checkOptional(
          args.recent_cose_proposals_window_size,
          "integer",
          "recent_cose_proposals_window_size",
        );
        if (
          args.recent_cose_proposals_window_size !== undefined &&
          args.recent_cose_proposals_window_size < 1
        )
          fail("recent_cose_proposals_window_size must be at least 1");
      },
      apply(args) {
        const config = getJson("public:ccf.gov.service.config", SINGLETON_KEY) || {};
        for (const field of ["recovery_threshold", "recent_cose_proposals_window_size"]) {
          if (args[field] !== undefined) config[field] = args[field];
        }
        setJson("public:ccf.gov.service.config", SINGLETON_KEY, config);
      },
    },
  ],
  [
    "set_member",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkCert(args.cert, "cert");
        checkOptional(args.encryption_pub_key, "string", "encryption_pub_key");
        checkOptional(args.recovery_role, "string", "recovery_role");
      },
      apply(args) {
        const id = ccf.pemToId(args.cert);
        ccf.kv["public:ccf.gov.members.certs"].set(ccf.strToBuf(id), ccf.strToBuf(args.cert));
        const info = { status: "Accepted" };
        if (args.member_data !== undefined) info.member_data = args.member_data;
        if (args.recovery_role !== undefined) info.recovery_role = args.recovery_role;
        setJson("public:ccf.gov.members.info", id, info);
        if (args.encryption_pub_key) {
          ccf.kv["public:ccf.gov.members.encryption_public_keys"].set(
            ccf.strToBuf(id),
            ccf.strToBuf(args.encryption_pub_key),
          );
        }
        const signatures = getJson("public:ccf.internal.signatures", SINGLETON_KEY);
        setJson("public:ccf.gov.members.acks", id, {
          state_digest: signatures ? signatures.root : "",
        });
      },
    },
  ],
  [
    "remove_member",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkEntityId(args.member_id, "member_id");
      },
      apply(args) {
        for (const map of ["certs", "info", "encryption_public_keys", "acks"]) {
          ccf.kv[`public:ccf.gov.members.${map}`].delete(ccf.strToBuf(args.member_id));
        }
      },
    },
  ],
  [
    "set_member_data",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkEntityId(args.member_id, "member_id");
      },
      apply(args) {
        const info = getJson("public:ccf.gov.members.info", args.member_id);
        if (info === undefined) fail(`Member ${args.member_id} does not exist`);
        info.member_data = args.member_data;
        setJson("public:ccf.gov.members.info", args.member_id, info);
      },
    },
  ],
  [
    "set_user",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkCert(args.cert, "cert");
      },
      apply(args) {
        const id = ccf.pemToId(args.cert);
        ccf.kv["public:ccf.gov.users.certs"].set(ccf.strToBuf(id), ccf.strToBuf(args.cert));
        const info = args.user_data === undefined ? {} : { user_data: args.user_data };
        setJson("public:ccf.gov.users.info", id, info);
      },
    },
  ],
  [
    "remove_user",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkEntityId(args.user_id, "user_id");
      },
      apply(args) {
        ccf.kv["public:ccf.gov.users.certs"].delete(ccf.strToBuf(args.user_id));
        ccf.kv["public:ccf.gov.users.info"].delete(ccf.strToBuf(args.user_id));
      },
    },
  ],
  [
    "set_user_data",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkEntityId(args.user_id, "user_id");
      },
      apply(args) {
        if (kvString("public:ccf.gov.users.certs", args.user_id) === undefined) {
          fail(`User ${args.user_id} does not exist`);
        }
        const info = args.user_data === undefined ? {} : { user_data: args.user_data };
        setJson("public:ccf.gov.users.info", args.user_id, info);
      },
    },
  ],
  [
    "set_js_app",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkBundle(args.bundle);
        checkOptional(args.disable_bytecode_cache, "boolean", "disable_bytecode_cache");
      },
      apply(args) {
        const modules = ccf.kv["public:ccf.gov.modules"];
        const endpoints = ccf.kv["public:ccf.gov.endpoints"];
        modules.clear();
        endpoints.clear();
        for (const module of args.bundle.modules) {
          modules.set(ccf.strToBuf(`/${module.name}`), ccf.jsonCompatibleToBuf(module.module));
        }
        for (const [path, methods] of Object.entries(args.bundle.metadata.endpoints)) {
          for (const [method, info] of Object.entries(methods)) {
            const stored = Object.assign({}, info, { js_module: `/${info.js_module}` });
            endpoints.set(
              ccf.strToBuf(`${method.toUpperCase()} ${path}`),
              ccf.jsonCompatibleToBuf(stored),
            );
          }
        }
        ccf.refreshAppBytecodeCache();
        ccf.kv["public:ccf.gov.interpreter.flush"].set(
          SINGLETON_KEY,
          ccf.jsonCompatibleToBuf(true),
        );
      },
    },
  ],
  [
    "remove_js_app",
    {
      validate() {},
      apply() {
        ccf.kv["public:ccf.gov.modules"].clear();
        ccf.kv["public:ccf.gov.endpoints"].clear();
        ccf.kv["public:ccf.gov.interpreter.flush"].set(
          SINGLETON_KEY,
          ccf.jsonCompatibleToBuf(true),
        );
      },
    },
  ],
  [
    "set_js_runtime_options",
    {
      validate(args) {
        checkType(args, "object", "args");
        for (const field of ["max_heap_bytes", "max_stack_bytes", "max_execution_time_ms"]) {
          checkType(args[field], "integer", field);
          if (args[field] <= 0) fail(`${field} must be positive`);
        }
        checkOptional(args.log_exception_details, "boolean", "log_exception_details");
        checkOptional(args.return_exception_details, "boolean", "return_exception_details");
        checkOptional(args.max_cached_interpreters, "integer", "max_cached_interpreters");
      },
      apply(args) {
        setJson("public:ccf.gov.js_runtime_options", SINGLETON_KEY, {
          max_heap_bytes: args.max_heap_bytes,
          max_stack_bytes: args.max_stack_bytes,
          max_execution_time_ms: args.max_execution_time_ms,
          log_exception_details: args.log_exception_details === true,
          return_exception_details: args.return_exception_details === true,
          max_cached_interpreters:
            args.max_cached_interpreters === undefined ? 10 : args.max_cached_interpreters,
        });
      },
    },
  ],
  [
    "set_ca_cert_bundle",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkType(args.name, "string", "name");
        checkCert(args.cert_bundle, "cert_bundle");
      },
      apply(args) {
        setJson("public:ccf.gov.tls.ca_cert_bundles", args.name, args.cert_bundle);
      },
    },
  ],
  [
    "remove_ca_cert_bundle",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkType(args.name, "string", "name");
      },
      apply(args) {
        ccf.kv["public:ccf.gov.tls.ca_cert_bundles"].delete(ccf.strToBuf(args.name));
      },
    },
  ],
  [
    "set_jwt_issuer",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkType(args.issuer, "string", "issuer");
        checkOptional(args.auto_refresh, "boolean", "auto_refresh");
        checkOptional(args.ca_cert_bundle_name, "string", "ca_cert_bundle_name");
        if (args.auto_refresh)
          fail("auto_refresh is not supported: the sandbox has no outbound network");
        if (args.jwks !== undefined) checkJwks(args.jwks, "jwks");
      },
      apply(args) {
        const metadata = { auto_refresh: args.auto_refresh === true };
        if (args.ca_cert_bundle_name !== undefined)
          metadata.ca_cert_bundle_name = args.ca_cert_bundle_name;
        setJson("public:ccf.gov.jwt.issuers", args.issuer, metadata);
        if (args.jwks !== undefined) ccf.setJwtPublicSigningKeys(args.issuer, metadata, args.jwks);
      },
    },
  ],
  [
    "set_jwt_public_signing_keys",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkType(args.issuer, "string", "issuer");
        checkJwks(args.jwks, "jwks");
      },
      apply(args) {
        const metadata = getJson("public:ccf.gov.jwt.issuers", args.issuer);
        if (metadata === undefined) fail(`${args.issuer} is not a valid issuer`);
        ccf.setJwtPublicSigningKeys(args.issuer, metadata, args.jwks);
      },
    },
  ],
  [
    "remove_jwt_issuer",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkType(args.issuer, "string", "issuer");
      },
      apply(args) {
        ccf.kv["public:ccf.gov.jwt.issuers"].delete(ccf.strToBuf(args.issuer));
        ccf.removeJwtPublicSigningKeys(args.issuer);
      },
    },
  ],
  [
    "transition_service_to_open",
    {
      validate(args) {
        checkType(args, "object", "args");
        checkCert(args.next_service_identity, "next_service_identity");
        checkOptional(args.previous_service_identity, "string", "previous_service_identity");
      },
      apply(args) {
        ccf.node.transitionServiceToOpen(
          args.previous_service_identity,
          args.next_service_identity,
        );
      },
    },
  ],
]);
