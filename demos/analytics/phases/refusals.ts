// Phase 6: what the clean room refuses. (a) A query that reads northwind's device ids, which are
// not an allowed field: the clean room loads only allowed fields, so even a query both owners
// approved cannot see them — the demo shows where it is stopped and why. (b) Northwind switches
// its execution consent off: the next run of the accepted overlap query fails with the reason.
import { errorOf, type CliResult } from "../cli.js";
import { DEVICE_SQL, MIN_ROWS } from "../queries.js";
import { CONTRACT, type World } from "../world.js";
import { AUDIENCE } from "./data.js";
import { approveQuery, proposeQuery } from "./query.js";

/** The error line of a command that failed; undefined when it succeeded. */
function refusalOf(result: CliResult): string | undefined {
  return result.code === 0 ? undefined : errorOf(result).error;
}

export async function disallowedField(world: World): Promise<void> {
  const { journal, woodgrove } = world;
  const proposed = await proposeQuery(world, {
    queryId: "devices",
    sql: DEVICE_SQL,
    rules: ["--min-rows", String(MIN_ROWS)],
  });
  let stage = "proposal";
  let refusal = refusalOf(proposed);
  if (refusal === undefined) {
    // Both owners approve it (by mistake, say): the clean room itself must still refuse it.
    await approveQuery(world, "devices");
    stage = "run";
    const result = await journal.step(
      "woodgrove",
      "run start devices --wait (a query that reads device_id)",
      () => woodgrove.run(["run", "start", CONTRACT, "devices", "--wait", "--timeout", "120"]),
      (r) => (r.code === 0 ? "completed (it should not have)" : "failed, as it should"),
    );
    refusal = refusalOf(result);
  }
  journal.check(
    "disallowed field",
    refusal !== undefined && /QueryFailed/.test(refusal) && /device_id/.test(refusal),
    refusal === undefined ? "a query reading device_id ran" : `refused at the ${stage}: ${refusal}`,
  );
}

export async function consentOff(world: World): Promise<void> {
  const { journal, northwind, woodgrove } = world;
  await journal.step(
    "northwind",
    `consent disable --dataset ${AUDIENCE} (execution consent off)`,
    () => northwind.json(["consent", "disable", CONTRACT, "--dataset", AUDIENCE]),
  );
  const result = await journal.step(
    "woodgrove",
    "run start overlap --wait (again)",
    () => woodgrove.run(["run", "start", CONTRACT, "overlap", "--wait", "--timeout", "120"]),
    (r) => (r.code === 0 ? "completed (it should not have)" : "refused, as it should"),
  );
  const refusal = refusalOf(result);
  journal.check(
    "consent off",
    refusal !== undefined && /DatasetConsentOff/.test(refusal),
    refusal === undefined
      ? "the run completed although northwind's consent is off"
      : /^run \S+ failed: /.test(refusal)
        ? `the clean room was refused the keys: ${refusal}`
        : `the run was refused when requested: ${refusal}`,
  );
}
