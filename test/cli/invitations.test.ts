import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliHome, errorLines, pidAlive, type CliResult } from "./run.js";

/**
 * Invitations end to end, each persona a separate process with its own config directory (as on
 * its own machine): the operator creates the consortium and invites; northwind and woodgrove
 * accept from their own profiles with codes sent as files; fabrikam joins as a member.
 */
describe("cleanroom invitations (three personas, separate processes, a real sandbox)", function () {
  this.timeout(120_000);
  const operator = new CliHome();
  const northwind = new CliHome();
  const woodgrove = new CliHome();
  const fabrikam = new CliHome();
  // The out-of-band channel: where the operator leaves code files for the invitees.
  const mailbox = mkdtempSync(join(tmpdir(), "cleanroom-codes-"));
  let url = "";
  let serviceCert = "";
  let pid = 0;

  before(async function () {
    const created = await operator.json<{ url: string; serviceCert: string; pid: number }>([
      "consortium",
      "create",
      "--port",
      "0",
    ]);
    ({ url, serviceCert, pid } = created);
    for (const [home, name, kind] of [
      [northwind, "northwind", "user"],
      [woodgrove, "woodgrove", "user"],
      [fabrikam, "fabrikam", "member"],
    ] as const) {
      await home.json([
        "profile",
        "create",
        name,
        "--kind",
        kind,
        "--endpoint",
        url,
        "--service-cert",
        serviceCert,
      ]);
    }
  });

  after(async function () {
    if (pid !== 0) {
      await operator.run(["consortium", "stop"]);
      for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    }
    for (const home of [operator, northwind, woodgrove, fabrikam]) home.remove();
    rmSync(mailbox, { recursive: true, force: true });
  });

  interface Invited {
    invitationId: string;
    role: string;
    proposalState: string;
    code?: string;
    codeFile?: string;
  }

  const invite = (noun: "user" | "member", name: string, ...extra: string[]) =>
    operator.json<Invited>([
      noun,
      "invite",
      name,
      "--code-file",
      join(mailbox, `${name}.code`),
      ...extra,
    ]);

  function failsWith(result: CliResult, error: RegExp, hint: RegExp): void {
    assert.equal(result.code, 1, result.stderr);
    const lines = errorLines(result);
    assert.match(lines.error, error);
    assert.match(lines.hint, hint);
    assert.equal(result.stdout, "");
  }

  it("invites two users, who accept from their own profiles and become users", async function () {
    const nw = await invite("user", "northwind", "--display-name", "Northwind Traders");
    const wg = await invite("user", "woodgrove", "--expires", "2d");
    assert.deepEqual(
      [nw.invitationId, nw.role, nw.proposalState, wg.invitationId, wg.proposalState],
      ["northwind", "user", "Accepted", "woodgrove", "Accepted"],
    );
    // The code went to the file only, mode 0600, and is high-entropy and URL-safe.
    assert.equal(nw.code, undefined);
    assert.equal(nw.codeFile, join(mailbox, "northwind.code"));
    assert.equal(statSync(nw.codeFile).mode & 0o777, 0o600);
    const code = readFileSync(nw.codeFile, "utf8").trim();
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(code, readFileSync(wg.codeFile!, "utf8").trim());

    // Governance never shows the code or its hash.
    const shown = await operator.json<Record<string, unknown>>(["invitation", "show", "northwind"]);
    assert.equal(shown["status"], "Open");
    assert.equal(shown["displayName"], "Northwind Traders");
    assert.ok(!JSON.stringify(shown).includes(code));
    assert.equal(shown["codeHash"], undefined);

    const nwProfile = await northwind.json<{ id: string }>(["profile", "show", "northwind"]);
    const wgProfile = await woodgrove.json<{ id: string }>(["profile", "show", "woodgrove"]);
    const accepted = await northwind.json<{
      identityId: string;
      role: string;
      me: { kind: string };
    }>(["user", "accept", "northwind", "--code-file", nw.codeFile]);
    assert.equal(accepted.identityId, nwProfile.id);
    assert.equal(accepted.role, "user");
    assert.equal(accepted.me.kind, "user");
    const text = await woodgrove.run(["user", "accept", "woodgrove", "--code-file", wg.codeFile!]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Accepted invitation woodgrove as woodgrove \(user\)/);

    for (const [home, name, displayName] of [
      [northwind, "northwind", "Northwind Traders"],
      [woodgrove, "woodgrove", "woodgrove"],
    ] as const) {
      const status = await home.json<{ kind: string; displayName: string }>(["status"]);
      assert.deepEqual([status.kind, status.displayName], ["user", displayName], name);
    }

    const users = await operator.json<{ identityId: string; displayName: string }[]>([
      "user",
      "list",
    ]);
    assert.deepEqual(
      users.map((u) => [u.identityId, u.displayName]),
      [
        [nwProfile.id, "Northwind Traders"],
        [wgProfile.id, "woodgrove"],
      ],
    );
    const invitations = await operator.json<{ invitationId: string; status: string }[]>([
      "invitation",
      "list",
    ]);
    assert.deepEqual(
      invitations.map((i) => [i.invitationId, i.status]),
      [
        ["northwind", "Accepted"],
        ["woodgrove", "Accepted"],
      ],
    );
  });

  it("a wrong, reused, revoked or expired code is a one-line error, exit 1", async function () {
    const other = new CliHome();
    try {
      await other.json([
        "profile",
        "create",
        "contoso",
        "--kind",
        "user",
        "--endpoint",
        url,
        "--service-cert",
        serviceCert,
      ]);
      const invited = await invite("user", "contoso");
      failsWith(
        await other.run(["user", "accept", "contoso", "--code", "not-the-code"]),
        /not the code of invitation contoso/,
        /check the code/,
      );
      // A refused attempt consumed nothing: the real code still works, once.
      await other.json(["user", "accept", "contoso", "--code-file", invited.codeFile!]);
      failsWith(
        await woodgrove.run(["user", "accept", "contoso", "--code-file", invited.codeFile!]),
        /already been used/,
        /works once/,
      );

      const revoked = await invite("user", "tailspin");
      const revocation = await operator.json<{ proposalState: string }>([
        "invitation",
        "revoke",
        "tailspin",
      ]);
      assert.equal(revocation.proposalState, "Accepted");
      failsWith(
        await other.run(["user", "accept", "tailspin", "--code-file", revoked.codeFile!]),
        /tailspin was revoked/,
        /new invitation/,
      );
      failsWith(
        await other.run(["user", "accept", "nobody", "--code", "x"]),
        /no invitation nobody/,
        /check the id/,
      );
      // Expiry is the service's clock against the invitation's expiresAt (Unix seconds).
      const expiring = await invite("user", "proseware", "--expires", "1s");
      await new Promise((r) => setTimeout(r, 2_100));
      failsWith(
        await other.run(["user", "accept", "proseware", "--code-file", expiring.codeFile!]),
        /proseware has expired/,
        /new invitation/,
      );
    } finally {
      other.remove();
    }
    // Only members invite.
    failsWith(await northwind.run(["user", "invite", "someone"]), /not a member's/, /--profile/);
    failsWith(await northwind.run(["invitation", "list"]), /not an active member/, /member/);
  });

  it("prints the code once when no file is given, and it works", async function () {
    const printed = await operator.run(["user", "invite", "litware"]);
    assert.equal(printed.code, 0, printed.stderr);
    const code = /\n {2}([A-Za-z0-9_-]{43})\n/.exec(printed.stdout)?.[1];
    assert.ok(code, printed.stdout);
    assert.match(printed.stdout, /out of band/);
    const litware = new CliHome();
    try {
      await litware.json([
        "profile",
        "create",
        "litware",
        "--kind",
        "user",
        "--endpoint",
        url,
        "--service-cert",
        serviceCert,
      ]);
      const accepted = await litware.json<{ role: string }>([
        "user",
        "accept",
        "litware",
        "--code",
        code,
      ]);
      assert.equal(accepted.role, "user");
    } finally {
      litware.remove();
    }
  });

  it("a member invitation: invite → accept → add → activate, then Active in member list", async function () {
    const invited = await invite("member", "fabrikam", "--display-name", "Fabrikam");
    assert.equal(invited.role, "member");
    const id = (await fabrikam.json<{ id: string }>(["profile", "show", "fabrikam"])).id;

    // Steps out of order say what to do first.
    failsWith(
      await operator.run(["member", "add", "fabrikam"]),
      /not accepted yet/,
      /member accept/,
    );
    failsWith(await fabrikam.run(["member", "activate"]), /not a member/, /member add/);

    const accepted = await fabrikam.run([
      "member",
      "accept",
      "fabrikam",
      "--code-file",
      invited.codeFile!,
    ]);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /member add fabrikam/);
    assert.match(accepted.stdout, /member activate/);

    const added = await operator.json<{ memberId: string; proposalState: string }>([
      "member",
      "add",
      "fabrikam",
    ]);
    assert.deepEqual([added.memberId, added.proposalState], [id, "Accepted"]);
    const listed = await operator.json<{ memberId: string; status: string }[]>(["member", "list"]);
    assert.equal(listed.find((m) => m.memberId === id)?.status, "Accepted");

    const activated = await fabrikam.json<{ status: string; alreadyActive: boolean }>([
      "member",
      "activate",
    ]);
    assert.deepEqual([activated.status, activated.alreadyActive], ["Active", false]);

    const members = await operator.json<
      { memberId: string; status: string; displayName: string | null; you: boolean }[]
    >(["member", "list"]);
    assert.deepEqual(
      members.find((m) => m.memberId === id),
      { memberId: id, status: "Active", displayName: "Fabrikam", you: false },
    );
    assert.equal(members.length, 2);
    const status = await fabrikam.json<{ kind: string; id: string }>(["status"]);
    assert.deepEqual([status.kind, status.id], ["member", id]);

    // With two active members, a new invitation waits for the other's vote.
    const pending = await operator.run(["user", "invite", "adatum"]);
    assert.equal(pending.code, 0, pending.stderr);
    assert.match(pending.stdout, /is Open: other members must vote/);
  });

  it("an unreachable consortium is one line and a hint", async function () {
    await operator.json(["consortium", "stop"]);
    for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    failsWith(
      await northwind.run(["user", "accept", "northwind", "--code", "x"]),
      /Cannot reach/,
      /consortium/,
    );
    failsWith(await operator.run(["member", "list"]), /Cannot reach/, /consortium/);
  });
});
