#!/usr/bin/env node
/** The `cleanroom` command: parses, runs, and turns errors into one clear line and an exit code. */
import { CommanderError } from "commander";
import {
  EXIT_INTERNAL_ERROR,
  EXIT_USER_ERROR,
  UserError,
  userErrorFromGovernance,
} from "./errors.js";
import { colorEnabled, styleFor } from "./output.js";
import { createProgram } from "./program.js";
import { removeTemporariesSync } from "../client/temporary.js";

/**
 * On Ctrl-C or SIGTERM, removes the files the command had not finished writing (a half-decrypted
 * file is unverified plaintext), then dies by the same signal as it would have, unless another
 * handler (`sandbox start`'s, for one) is there to take it.
 */
function removeTemporariesOnSignal(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      removeTemporariesSync();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

async function main(argv: string[]): Promise<void> {
  removeTemporariesOnSignal();
  const program = createProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (caught) {
    const error = userErrorFromGovernance(caught) ?? caught;
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USER_ERROR;
      return;
    }
    if (error instanceof UserError) {
      const { red, dim } = styleFor(colorEnabled(process.stderr, process.env));
      process.stderr.write(`${red("error:")} ${error.message}\n`);
      if (error.hint) process.stderr.write(`${dim("hint:")} ${error.hint}\n`);
      process.exitCode = EXIT_USER_ERROR;
      return;
    }
    process.stderr.write(
      `internal error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.stderr.write("please report it with the command you ran\n");
    process.exitCode = EXIT_INTERNAL_ERROR;
  }
}

await main(process.argv);
