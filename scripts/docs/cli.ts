/** `node dist/scripts/docs/cli.js`: writes docs/cli.md from the `cleanroom` program's help. */
import { CLI_PAGE, renderCliReference } from "./cli-reference.js";
import { writePage } from "./markdown.js";

writePage(CLI_PAGE, await renderCliReference());
