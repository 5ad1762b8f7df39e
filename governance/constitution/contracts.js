// cleanroom governance — contracts (appended to the default constitution).
//
// Action `set_contract {contractId, version, document}`: members accept a contract document.
// The proposal carries the document itself, so what members vote on is what gets accepted; apply
// writes the accepted record (public:ccf.gov.cleanroom.contracts[contractId]), an immutable copy
// in the version history (public:ccf.gov.cleanroom.contract_versions[`<id>@<n>`]) and, the first
// time, the contract's position in the accepted-contract index.
//
// The resolver for every contract action (set_contract here, set_contract_switch in
// contract_switches.js): unanimity of the active members accepts; any active member's "no"
// rejects at once; the proposer counts in favour unless it voted. A set_contract may not be mixed
// with other actions nor name a contract twice, and is rejected when another Open proposal
// already proposes the same contract.
//
// The document rules repeat validateContractDocument (contracts/src/contract.ts) with the same
// messages: constitution code cannot import the app's modules. contracts/src/contract.fixtures.ts
// holds the examples both must judge alike (test/governance/contracts.test.ts proposes them).

const CleanroomContracts = (() => {
  const TABLES = {
    accepted: "public:ccf.gov.cleanroom.contracts",
    versions: "public:ccf.gov.cleanroom.contract_versions",
    index: "public:ccf.gov.cleanroom.contract_index",
    switches: "public:ccf.gov.cleanroom.contract_switches",
    proposals: "public:ccf.gov.proposals",
    proposalsInfo: "public:ccf.gov.proposals_info",
  };
  const ACTIONS = ["set_contract", "set_contract_switch"];
  const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  const LOWER_HEX = /^(?:[0-9a-f]{2})+$/;
  const VERSION_PATTERN = /^[0-9]+\.[0-9]+$/;
  const LIMITS = {
    description: 4096,
    participants: 100,
    participantId: 512,
    participantName: 200,
    measurements: 100,
    hexDigits: 256,
    audiences: 20,
    audience: 512,
    minLifetimeSeconds: 60,
    maxLifetimeSeconds: 86400,
  };

  function failAt(path, problem) {
    throw new Error(`${path} ${problem}`);
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function describe(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    return `of type ${typeof value}`;
  }

  function object(value, path, allowed) {
    if (!isObject(value)) failAt(path, `must be an object, but is ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) failAt(`${path}.${key}`, "is not a known field");
    }
    return value;
  }

  function string(value, path, max) {
    if (typeof value !== "string") failAt(path, `must be a string, but is ${describe(value)}`);
    if (value.length === 0) failAt(path, "must not be empty");
    if (value.length > max) failAt(path, `must be at most ${max} characters long`);
    return value;
  }

  function boolean(value, path) {
    if (typeof value !== "boolean") failAt(path, `must be a boolean, but is ${describe(value)}`);
    return value;
  }

  function array(value, path, min, max) {
    if (!Array.isArray(value)) failAt(path, `must be an array, but is ${describe(value)}`);
    if (value.length < min)
      failAt(path, `must have at least ${min} entr${min === 1 ? "y" : "ies"}`);
    if (value.length > max) failAt(path, `must have at most ${max} entries`);
    return value;
  }

  function hexList(value, path) {
    const seen = new Set();
    array(value, path, 1, LIMITS.measurements).forEach((entry, i) => {
      const where = `${path}[${i}]`;
      const hex = string(entry, where, LIMITS.hexDigits);
      if (!LOWER_HEX.test(hex))
        failAt(where, "must be lower-case hex with an even number of digits");
      if (seen.has(hex)) failAt(where, `repeats ${hex}`);
      seen.add(hex);
    });
  }

  function checkContractId(value, path) {
    if (typeof value !== "string") failAt(path, `must be a string, but is ${describe(value)}`);
    if (!ID_PATTERN.test(value)) {
      failAt(
        path,
        "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    }
  }

  function checkDocument(value, path) {
    const doc = object(value, path, [
      "description",
      "participants",
      "policy",
      "consentDefaults",
      "tokenPolicy",
    ]);
    if (doc.description !== undefined) {
      string(doc.description, `${path}.description`, LIMITS.description);
    }

    const ids = new Set();
    array(doc.participants, `${path}.participants`, 1, LIMITS.participants).forEach((entry, i) => {
      const where = `${path}.participants[${i}]`;
      const participant = object(entry, where, ["id", "kind", "name"]);
      const id = string(participant.id, `${where}.id`, LIMITS.participantId);
      if (ids.has(id)) failAt(`${where}.id`, `repeats participant ${id}`);
      ids.add(id);
      if (participant.kind !== "member" && participant.kind !== "user") {
        failAt(`${where}.kind`, 'must be "member" or "user"');
      }
      string(participant.name, `${where}.name`, LIMITS.participantName);
    });

    const policy = object(doc.policy, `${path}.policy`, [
      "measurements",
      "hostData",
      "allowVirtual",
    ]);
    hexList(policy.measurements, `${path}.policy.measurements`);
    if (policy.hostData !== undefined) hexList(policy.hostData, `${path}.policy.hostData`);
    boolean(policy.allowVirtual, `${path}.policy.allowVirtual`);

    const consent = object(doc.consentDefaults, `${path}.consentDefaults`, [
      "execution",
      "logging",
      "telemetry",
    ]);
    for (const name of ["execution", "logging", "telemetry"]) {
      boolean(consent[name], `${path}.consentDefaults.${name}`);
    }

    if (doc.tokenPolicy !== undefined) {
      const where = `${path}.tokenPolicy`;
      const tokens = object(doc.tokenPolicy, where, ["audiences", "maxLifetimeSeconds"]);
      const seen = new Set();
      array(tokens.audiences, `${where}.audiences`, 1, LIMITS.audiences).forEach((entry, i) => {
        const audience = string(entry, `${where}.audiences[${i}]`, LIMITS.audience);
        if (seen.has(audience)) failAt(`${where}.audiences[${i}]`, `repeats ${audience}`);
        seen.add(audience);
      });
      const lifetime = tokens.maxLifetimeSeconds;
      const min = LIMITS.minLifetimeSeconds;
      const max = LIMITS.maxLifetimeSeconds;
      if (!Number.isInteger(lifetime) || lifetime < min || lifetime > max) {
        failAt(`${where}.maxLifetimeSeconds`, `must be an integer from ${min} to ${max}`);
      }
    }
  }

  function acceptedContract(contractId) {
    return getJson(TABLES.accepted, contractId);
  }

  function seqnoOf(version) {
    return Number(version.split(".")[1]);
  }

  /** Open proposals per contract id that a set_contract of theirs names (this one included). */
  function openSetContractCounts() {
    const counts = new Map();
    ccf.kv[TABLES.proposalsInfo].forEach((value, key) => {
      if (ccf.bufToJsonCompatible(value).state !== "Open") return;
      const raw = ccf.kv[TABLES.proposals].get(key);
      if (raw === undefined) return;
      let proposal;
      try {
        proposal = JSON.parse(ccf.bufToStr(raw));
      } catch (e) {
        return;
      }
      const named = new Set();
      for (const action of Array.isArray(proposal.actions) ? proposal.actions : []) {
        if (action && action.name === "set_contract" && action.args) {
          named.add(action.args.contractId);
        }
      }
      for (const id of named) counts.set(id, (counts.get(id) || 0) + 1);
    });
    return counts;
  }

  /** Every active member in favour (the proposer unless it voted), or any "no": Rejected. */
  function unanimity(proposerId, votes, active) {
    const counted = votes.filter((v) => active.has(v.member_id));
    if (counted.some((v) => v.vote !== true)) return "Rejected";
    const inFavour = new Set(counted.map((v) => v.member_id));
    if (active.has(proposerId)) inFavour.add(proposerId);
    for (const id of active) {
      if (!inFavour.has(id)) return "Open";
    }
    return "Accepted";
  }

  function resolveContractActions(proposal, proposerId, votes, active) {
    const list = Array.isArray(proposal.actions) ? proposal.actions : [];
    if (!list.some((action) => action && ACTIONS.includes(action.name))) return undefined;
    const sets = list.filter((action) => action && action.name === "set_contract");
    if (sets.length > 0) {
      if (sets.length !== list.length) return "Rejected";
      const ids = sets.map((action) => action.args.contractId);
      if (new Set(ids).size !== ids.length) return "Rejected";
      const open = openSetContractCounts();
      if (ids.some((id) => (open.get(id) || 0) > 1)) return "Rejected";
    }
    return unanimity(proposerId, votes, active);
  }

  return {
    TABLES,
    checkContractId,
    checkDocument,
    object,
    boolean,
    acceptedContract,
    resolveContractActions,
    VERSION_PATTERN,
    seqnoOf,
  };
})();

actions.set("set_contract", {
  validate(args) {
    const c = CleanroomContracts;
    c.object(args, "args", ["contractId", "version", "document"]);
    c.checkContractId(args.contractId, "contractId");
    if (typeof args.version !== "string" || !c.VERSION_PATTERN.test(args.version)) {
      fail("version must be the draft's version, a transaction id such as 2.15");
    }
    c.checkDocument(args.document, "document");
    const accepted = c.acceptedContract(args.contractId);
    if (accepted && c.seqnoOf(args.version) <= c.seqnoOf(accepted.version)) {
      fail(
        `contract ${args.contractId} already has version ${accepted.version} accepted: ` +
          "propose a newer draft version",
      );
    }
  },
  apply(args, proposalId) {
    const c = CleanroomContracts;
    const previous = c.acceptedContract(args.contractId);
    const info = getJson(c.TABLES.proposalsInfo, proposalId) || {};
    const sequence = previous && previous.sequence ? previous.sequence + 1 : 1;
    const record = {
      contractId: args.contractId,
      version: args.version,
      document: args.document,
      proposalId,
      finalVotes: info.final_votes || {},
      proposerId: info.proposer_id,
      sequence,
    };
    setJson(c.TABLES.accepted, args.contractId, record);
    setJson(c.TABLES.versions, `${args.contractId}@${sequence}`, record);
    if (!previous) {
      const count = getJson(c.TABLES.index, "count") || 0;
      setJson(c.TABLES.index, String(count), args.contractId);
      setJson(c.TABLES.index, "count", count + 1);
    }
  },
});

resolvers.push(CleanroomContracts.resolveContractActions);
