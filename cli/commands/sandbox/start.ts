/** `cleanroom sandbox start`: run a single-node CCF-compatible consortium on this machine. */
import { Command } from "commander";
import { relative } from "node:path";
import { BundleError, startSandbox, type Sandbox } from "../../../sandbox/index.js";
import { integer } from "../../command.js";
import { UserError } from "../../errors.js";
import { createOutput } from "../../output.js";

interface StartOptions {
  bundle?: string;
  workspace: string;
  members: number;
  users: number;
  port: number;
  host: string;
  json: boolean;
  verbose: boolean;
}

export function sandboxStartCommand(): Command {
  return new Command("start")
    .summary("run a local single-node consortium (CCF-compatible) until Ctrl-C")
    .description(
      "Starts the sandbox: a single-node host that runs a CCF JavaScript app bundle in QuickJS over\n" +
        "HTTPS, with the same request, KV, crypto and authentication semantics as a CCF node in\n" +
        "virtual mode. It writes a workspace laid out like CCF's sandbox (service_cert.pem,\n" +
        "member0_cert.pem, member0_privk.pem, user0_cert.pem, user0_privk.pem, …), deploys the\n" +
        "bundle, registers the users and opens the service. Keys and certificates in an existing\n" +
        "workspace are reused, so identities survive restarts.",
    )
    .option("--bundle <path>", "app bundle: a directory with app.json and src/, or a bundle.json")
    .option("--workspace <dir>", "workspace directory for keys and certificates", "workspace")
    .option("--members <n>", "number of initial members", integer(1), 1)
    .option("--users <n>", "number of initial users", integer(0), 1)
    .option("--port <port>", "port to listen on (0 picks a free one)", integer(0, 65535), 8000)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--json", "print one JSON line when ready instead of text", false)
    .option("--verbose", "print the per-request log lines of the node", false)
    .addHelpText(
      "after",
      `
Examples:
  $ cleanroom sandbox start --bundle test/fixture-app/build
  $ cleanroom sandbox start --bundle app/bundle.json --port 0 --users 3 --json
  $ curl --cacert workspace/service_cert.pem --cert workspace/user0_cert.pem \\
         --key workspace/user0_privk.pem https://127.0.0.1:8000/app/commit`,
    )
    .action(async (options: StartOptions) => {
      const out = createOutput(options.json);
      let sandbox: Sandbox;
      try {
        sandbox = await startSandbox({
          bundle: options.bundle,
          workspace: options.workspace,
          members: options.members,
          users: options.users,
          port: options.port,
          host: options.host,
          log: (line) => {
            if (options.verbose || !line.startsWith("JS execution complete")) out.info(line);
          },
        });
      } catch (error) {
        throw asUserError(error, options);
      }
      // A workspace below the current folder reads best relative to it; otherwise absolute.
      const below = relative(process.cwd(), sandbox.workspace) || ".";
      const ws = below.startsWith("..") ? sandbox.workspace : below;
      out.result(
        { url: sandbox.url, workspace: sandbox.workspace, pid: process.pid },
        [
          `Sandbox listening on ${sandbox.url}`,
          `Workspace: ${sandbox.workspace}`,
          `Try:  curl --cacert ${ws}/service_cert.pem --cert ${ws}/user0_cert.pem --key ${ws}/user0_privk.pem ${sandbox.url}/app/commit`,
          "Press Ctrl-C to stop.",
        ].join("\n"),
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          out.info(`Received ${signal}, stopping…`);
          void sandbox.stop().then(resolve);
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
      out.info("Sandbox stopped.");
    });
}

function asUserError(error: unknown, options: StartOptions): unknown {
  if (error instanceof BundleError) {
    return new UserError(
      error.message,
      "build the app first, or pass --bundle <dir|bundle.json>",
      "InvalidBundle",
    );
  }
  const code = (error as { code?: string }).code;
  if (code === "EADDRINUSE") {
    return new UserError(
      `port ${options.port} on ${options.host} is already in use`,
      "pass --port 0 to pick a free port",
      "PortInUse",
    );
  }
  if (code === "EACCES" || code === "EADDRNOTAVAIL") {
    return new UserError(
      `cannot listen on ${options.host}:${options.port} (${code})`,
      "choose another --host or --port",
      "CannotListen",
    );
  }
  const reason = (error as Error).message?.replace(/^The sandbox engine failed to start: /, "");
  if (code === "LedgerCorrupt") {
    return new UserError(
      reason,
      `the ledger in ${options.workspace}/ledger was modified; restore it, or start a new workspace`,
      "LedgerCorrupt",
    );
  }
  if (code === "ProposalFailedToValidate" || code === "ProposalFailedToApply") {
    return new UserError(
      `the bundle was refused: ${reason}`,
      "fix app.json and rebuild the bundle",
      "InvalidBundle",
    );
  }
  return error;
}
