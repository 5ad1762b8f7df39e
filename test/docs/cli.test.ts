/** docs/cli.md is the help of every command of the current `cleanroom` program. */
import assert from "node:assert/strict";
import { Command } from "commander";
import { createProgram } from "../../cli/program.js";
import { CLI_PAGE, helpText, renderCliReference } from "../../scripts/docs/cli-reference.js";
import { assertPageCurrent } from "./reference.js";

function allCommands(root: Command): Command[] {
  return root.commands.flatMap((c) => [c, ...allCommands(c)]);
}

describe("docs/cli.md", function () {
  it("is what the generator produces from the current program", async function () {
    assertPageCurrent(CLI_PAGE, await renderCliReference());
  });

  it("has a section with the help of every noun and verb", async function () {
    const program = createProgram();
    const page = await renderCliReference(program);
    const commands = allCommands(program);
    assert.ok(commands.length > 20, `expected the whole tree, found ${commands.length}`);
    for (const command of commands) {
      const usage = helpText(command).split("\n")[0]!;
      assert.match(usage, /^Usage: cleanroom /);
      assert.ok(page.includes(usage), `the page shows "${usage}"`);
    }
  });

  it("records help text added after the options (examples), at a fixed width", function () {
    const group = new Command("demo").addCommand(
      new Command("run")
        .description("x ".repeat(80).trim())
        .addHelpText("after", "\nExamples:\n  $ demo run"),
    );
    const text = helpText(group.commands[0]!);
    assert.match(text, /Examples:\n {2}\$ demo run$/);
    assert.ok(text.split("\n").every((line) => line.length <= 100));
  });
});
