// The `cleanroom` CLI as its own process, as a user runs it: what it printed and its exit code.
// Shared by the demo's personas and the CLI test suites.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI (dist/cli/main.js). */
export const CLI_MAIN = fileURLToPath(new URL("../../cli/main.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `cleanroom <args>` with exactly `env`; `result` settles when the process has closed. */
export function spawnCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    ...(cwd !== undefined ? { cwd } : {}),
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, result };
}
