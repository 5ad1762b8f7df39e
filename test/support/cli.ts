/** Runs the `cleanroom` CLI as a user would: a separate process, its output, its exit code. */
import { spawn, type ChildProcess } from "node:child_process";
import { CLI_MAIN as CLI } from "../../demos/support/cli-process.js";

export { CLI };

/** Starts `cleanroom sandbox start … --json` and resolves with its "ready" document. */
export function startSandboxProcess(
  args: string[],
): Promise<{ child: ChildProcess; ready: Record<string, string> }> {
  const child = spawn(process.execPath, [CLI, "sandbox", "start", "--json", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf("\n");
      if (newline >= 0) resolve({ child, ready: JSON.parse(out.slice(0, newline)) });
    });
    child.once("exit", (code) => reject(new Error(`sandbox exited with ${code}: ${err}`)));
  });
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
