/** Runs `cleanroom` as a separate process with its own config directory. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnCli, type CliResult } from "../../demos/support/cli-process.js";
import { ProfileStore } from "../../cli/profile/store.js";

export type { CliResult } from "../../demos/support/cli-process.js";

/** A config directory ($CLEANROOM_HOME) of its own, and a way to run the CLI with it. */
export class CliHome {
  readonly home = mkdtempSync(join(tmpdir(), "cleanroom-cli-"));

  run(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
    return this.start(args, env).result;
  }

  /** Starts a command without waiting for it (to signal it, or to feed a pipe it reads). */
  start(args: readonly string[], env: Record<string, string> = {}) {
    const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
    childEnv["CLEANROOM_HOME"] = this.home;
    if (!("CLEANROOM_PROFILE" in env)) delete childEnv["CLEANROOM_PROFILE"];
    return spawnCli(args, childEnv);
  }

  /** Runs a command that must succeed with `--json`, and parses its one JSON document. */
  async json<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
    const result = await this.run([...args, "--json"]);
    if (result.code !== 0) {
      throw new Error(`cleanroom ${args.join(" ")} exited with ${result.code}: ${result.stderr}`);
    }
    return JSON.parse(result.stdout) as T;
  }

  /** Creates profile `name` for a user of the sandbox's consortium, with that user's identity. */
  async addUser(
    name: string,
    sandbox: { url: string; serviceCertPem: string },
    identity: { cert: string; key: string },
  ): Promise<void> {
    await new ProfileStore(this.home).create(name, {
      kind: "user",
      endpoint: sandbox.url,
      serviceCertPem: sandbox.serviceCertPem,
      identity: { certPem: identity.cert, privateKeyPem: identity.key },
    });
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/**
 * The error of a failed command is one line and a hint, `error: …` then `hint: …`, at the end of
 * stderr (notes such as "Starting a sandbox …" may come before), and no stack trace.
 */
export function errorLines(result: CliResult): { error: string; hint: string } {
  const lines = result.stderr.trimEnd().split("\n").slice(-2);
  if (
    lines.length !== 2 ||
    !lines[0]!.startsWith("error: ") ||
    !lines[1]!.startsWith("hint: ") ||
    result.stderr.split("error: ").length !== 2 ||
    /\n\s+at /.test(result.stderr)
  ) {
    throw new Error(`expected an error line and a hint, got:\n${result.stderr}`);
  }
  return { error: lines[0]!.slice(7), hint: lines[1]!.slice(6) };
}

/** Whether `pid` is a live process (a zombie, exited but not yet reaped, is not). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}
