// Phase 2: the operator (the consortium's member) agrees the contract: who collaborates, and which
// clean room may see their data — the local runtime's measurement, with virtual attestation
// allowed since this machine has no TEE. It also creates the key-encryption key owners wrap their
// dataset keys to. The collaborators read the policy in force before they trust it with data.
import type { World } from "../world.js";
import { CONTRACT } from "../world.js";
import type { Consortium } from "./consortium.js";

export async function agreeContract(
  world: World,
  consortium: Consortium,
  measurement: string,
): Promise<void> {
  const { journal, operator } = world;
  await journal.step("operator", "key create (the consortium's key-encryption key)", () =>
    operator.json(["key", "create"]),
  );
  await journal.step(
    "operator",
    `contract create ${CONTRACT} (participants, runtime measurement, virtual attestation)`,
    () =>
      operator.json([
        "contract",
        "create",
        CONTRACT,
        "--participant",
        `northwind=${consortium.northwindId}`,
        "--participant",
        `woodgrove=${consortium.woodgroveId}`,
        "--measurement",
        measurement,
        "--allow-virtual",
        "--description",
        "Audience overlap between northwind's readers and woodgrove's customers",
      ]),
  );
  const proposed = await journal.step(
    "operator",
    `contract propose ${CONTRACT}`,
    () => operator.json<{ proposalState: string }>(["contract", "propose", CONTRACT]),
    (p) => `proposal ${p.proposalState}`,
  );
  // The operator is the only member here, so its proposal may pass at once; otherwise it votes.
  let state = proposed.proposalState;
  if (state === "Open") {
    const voted = await journal.step(
      "operator",
      `contract vote ${CONTRACT} --accept`,
      () => operator.json<{ proposalState: string }>(["contract", "vote", CONTRACT, "--accept"]),
      (v) => `proposal ${v.proposalState}`,
    );
    state = voted.proposalState;
  }
  journal.check("contract", state === "Accepted", `${CONTRACT} is in force`);
  // Each collaborator measures the runtime build it has and checks the policy allows it.
  const verdicts = await Promise.all(
    (["northwind", "woodgrove"] as const).map((who) =>
      journal.step(
        who,
        `contract policy verify ${CONTRACT}`,
        () =>
          world[who].json<{ allowed: boolean; measurement: string }>([
            "contract",
            "policy",
            "verify",
            CONTRACT,
          ]),
        (v) => (v.allowed ? "this runtime build is allowed" : "NOT allowed"),
      ),
    ),
  );
  journal.check(
    "policy",
    verdicts.every((v) => v.allowed && v.measurement === measurement),
    `both collaborators recomputed the runtime measurement ${measurement.slice(0, 12)}… and found it in force`,
  );
}
