// cleanroom governance — contract consent switches (appended to the default constitution).
//
// Action `set_contract_switch {contractId, execution?, logging?, telemetry?}`: members switch
// execution, logging and telemetry on or off for an accepted contract. The switches override the
// accepted document's consentDefaults and outlive new contract versions (a switch is a later,
// explicit decision). Resolved like every contract action: unanimity of the active members, any
// "no" rejects (contracts.js). Record: public:ccf.gov.cleanroom.contract_switches[contractId] =
// {execution?, logging?, telemetry?, proposalId}.

/* global CleanroomContracts -- defined in contracts.js, in the same constitution module */

actions.set("set_contract_switch", {
  validate(args) {
    const c = CleanroomContracts;
    c.object(args, "args", ["contractId", "execution", "logging", "telemetry"]);
    c.checkContractId(args.contractId, "contractId");
    const given = ["execution", "logging", "telemetry"].filter((name) => args[name] !== undefined);
    if (given.length === 0) fail("give at least one of execution, logging or telemetry");
    for (const name of given) c.boolean(args[name], name);
    if (!c.acceptedContract(args.contractId)) {
      fail(
        `contract ${args.contractId} has not been accepted: switches apply to accepted contracts`,
      );
    }
  },
  apply(args, proposalId) {
    const table = CleanroomContracts.TABLES.switches;
    const record = getJson(table, args.contractId) || {};
    for (const name of ["execution", "logging", "telemetry"]) {
      if (args[name] !== undefined) record[name] = args[name];
    }
    record.proposalId = proposalId;
    setJson(table, args.contractId, record);
  },
});
