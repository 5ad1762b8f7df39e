// Phase 1: the operator creates the consortium (a local sandbox serving the governance app) and
// invites northwind and woodgrove, who make their own keys and accept from their own machines.
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import type { PersonaCli } from "../cli.js";
import { ensureStopped } from "../processes.js";
import type { World } from "../world.js";

export interface Consortium {
  url: string;
  pid: number;
  /** Identity ids (SHA-256 of the certificate) of the collaborators. */
  northwindId: string;
  woodgroveId: string;
}

/** Stops the operator's sandbox: `consortium stop`, and if that did not end it, its pid. */
async function stopSandbox(operator: PersonaCli, pid: number): Promise<void> {
  await operator.run(["consortium", "stop"]);
  await ensureStopped(pid);
}

export async function setUpConsortium(world: World): Promise<Consortium> {
  const { journal, operator, mailbox } = world;
  const created = await journal.step(
    "operator",
    "consortium create (a local sandbox serving the governance app)",
    () =>
      operator.json<{ url: string; pid: number; serviceCert: string }>([
        "consortium",
        "create",
        "--port",
        "0",
      ]),
    (c) => c.url,
  );
  world.onCleanup("operator", "consortium stop", () => stopSandbox(operator, created.pid));
  // The service certificate reaches the collaborators out of band; they pin it in their profiles.
  const serviceCert = join(mailbox, "service_cert.pem");
  copyFileSync(created.serviceCert, serviceCert);

  const join1 = async (who: "northwind" | "woodgrove", displayName: string) => {
    const cli = world[who];
    const profile = await journal.step(
      who,
      "profile create (its own key pair, the pinned service certificate)",
      () =>
        cli.json<{ id: string }>([
          "profile",
          "create",
          who,
          "--kind",
          "user",
          "--endpoint",
          created.url,
          "--service-cert",
          serviceCert,
        ]),
      (p) => `identity ${p.id.slice(0, 12)}…`,
    );
    const codeFile = join(mailbox, `${who}.code`);
    await journal.step("operator", `user invite ${who} (one-time code sent out of band)`, () =>
      operator.json([
        "user",
        "invite",
        who,
        "--display-name",
        displayName,
        "--code-file",
        codeFile,
      ]),
    );
    await journal.step(who, `user accept ${who}`, () =>
      cli.json(["user", "accept", who, "--code-file", codeFile]),
    );
    return profile.id;
  };
  const [northwindId, woodgroveId] = await Promise.all([
    join1("northwind", "Northwind Traders"),
    join1("woodgrove", "Woodgrove"),
  ]);
  const users = await journal.step(
    "operator",
    "user list",
    () => operator.json<{ identityId: string }[]>(["user", "list"]),
    (list) => `${list.length} users`,
  );
  const ids = new Set(users.map((u) => u.identityId));
  journal.check(
    "consortium",
    ids.has(northwindId) && ids.has(woodgroveId),
    "northwind and woodgrove joined as users with keys that never left their machines",
  );
  return { url: created.url, pid: created.pid, northwindId, woodgroveId };
}
