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
  ["consortium", "show"],
  ["consortium", "stop"],
  ["status"],
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
    for (const noun of ["profile", "consortium", "status", "member", "user", "sandbox"]) {
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
});
