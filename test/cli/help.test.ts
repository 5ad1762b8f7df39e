import assert from "node:assert/strict";
import { CliHome } from "./run.js";

/** Every command this suite owns; each later noun adds its verbs here. */
const COMMANDS = [
  ["profile", "create"],
  ["profile", "list"],
  ["profile", "show"],
  ["profile", "use"],
  ["profile", "delete"],
  ["member", "keygen"],
  ["user", "keygen"],
  ["consortium", "create"],
  ["consortium", "deploy"],
  ["consortium", "show"],
  ["consortium", "stop"],
  ["status"],
  ["query", "create"],
  ["query", "propose"],
  ["query", "review"],
  ["query", "show"],
  ["query", "approve"],
  ["query", "reject"],
  ["query", "withdraw"],
  ["query", "list"],
  ["consent", "enable"],
  ["consent", "disable"],
  ["consent", "show"],
  ["run", "start"],
  ["run", "status"],
  ["run", "list"],
  ["run", "statement"],
  ["run", "logs"],
  ["run", "output"],
  ["runtime", "start"],
  ["runtime", "status"],
  ["runtime", "logs"],
  ["runtime", "measure"],
  ["runtime", "stop"],
  ["contract", "policy", "verify"],
  ["audit", "events"],
  ["audit", "verify"],
  ["member", "invite"],
  ["member", "accept"],
  ["member", "add"],
  ["member", "activate"],
  ["member", "list"],
  ["user", "invite"],
  ["user", "accept"],
  ["user", "list"],
  ["invitation", "show"],
  ["invitation", "list"],
  ["invitation", "revoke"],
  ["proposal", "list"],
  ["proposal", "show"],
  ["proposal", "vote"],
  ["proposal", "withdraw"],
  ["contract", "create"],
  ["contract", "show"],
  ["contract", "list"],
  ["contract", "propose"],
  ["contract", "vote"],
  ["contract", "policy", "show"],
  ["dataset", "create"],
  ["dataset", "encrypt"],
  ["dataset", "upload"],
  ["dataset", "publish"],
  ["dataset", "list"],
  ["dataset", "show"],
  ["dataset", "download"],
  ["dataset", "decrypt"],
  ["dataset", "grant"],
  ["dataset", "revoke"],
  ["key", "create"],
  ["key", "list"],
];

describe("cleanroom --help", function () {
  let cli: CliHome;
  before(() => (cli = new CliHome()));
  after(() => cli.remove());

  for (const command of COMMANDS) {
    it(`${command.join(" ")} --help has a usage, a paragraph, options and examples`, async function () {
      const result = await cli.run([...command, "--help"]);
      assert.equal(result.code, 0);
      const text = result.stdout;
      assert.match(text, new RegExp(`^Usage: cleanroom ${command.join(" ")} `));
      // A paragraph: at least two lines of prose after the usage line.
      const paragraph = text.split("\n\n")[1] ?? "";
      assert.ok(paragraph.split("\n").length >= 2, `a paragraph in:\n${text}`);
      assert.match(text, /--json/);
      assert.match(text, /--profile <name>/);
      assert.match(text, /\nExamples:\n( {2}\$ cleanroom .+\n)+/);
    });
  }

  it("lists each noun with its one-line summary", async function () {
    const result = await cli.run(["--help"]);
    assert.equal(result.code, 0);
    for (const noun of [
      "profile",
      "consortium",
      "status",
      "member",
      "user",
      "invitation",
      "proposal",
      "contract",
      "sandbox",
      "dataset",
      "key",
      "query",
      "consent",
      "run",
      "runtime",
      "audit",
    ]) {
      assert.match(result.stdout, new RegExp(`\\n {2}${noun}\\b.* {2}\\S`), noun);
    }
    const profile = await cli.run(["profile", "--help"]);
    assert.match(profile.stdout, /\n {2}create .* {2}create a persona profile/);
  });

  it("an unknown option or command is exit 1, not a stack trace", async function () {
    const result = await cli.run(["profile", "list", "--nope"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown option '--nope'/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it("--version after a command is that command's option, not the program's", async function () {
    const result = await cli.run(["query", "approve", "c", "q", "--version", "2"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown option '--version'/);
    assert.match((await cli.run(["--version"])).stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
