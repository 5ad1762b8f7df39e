#!/usr/bin/env node
/**
 * The clean-room runtime as a process (what `cleanroom runtime start` spawns):
 *
 *   node dist/runtime/main.js --contract <id> --endpoint https://… --service-cert <pem file>
 *     --workspace <dir> [--platform virtual|snp] [--snp-sidecar <url>] [--host-data <hex>]
 *     [--token-audience <aud>] [--poll-ms <ms>] [--memory-limit 4GB] [--threads <n>]
 *     [--ram-directory <dir>]
 *
 * Prints one line of JSON when it runs — `{"ready":true,"pid":…,"contractId":…,"measurement":…,
 * "workspace":…}` — then runs until SIGTERM or SIGINT, when it finishes the current run and exits 0.
 * A usage mistake prints `{"ready":false,"error":…}` on stderr and exits 1.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { Command, InvalidArgumentError } from "commander";

import { startRuntime, type Platform, type RuntimeOptions } from "./index.js";

interface Flags {
  contract: string;
  endpoint: string;
  serviceCert: string;
  workspace: string;
  platform: Platform;
  snpSidecar?: string;
  hostData?: string;
  tokenAudience?: string;
  pollMs?: number;
  memoryLimit?: string;
  threads?: number;
  ramDirectory?: string;
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError("expected a positive whole number");
  }
  return value;
}

function platform(text: string): Platform {
  if (text !== "virtual" && text !== "snp") throw new InvalidArgumentError("virtual or snp");
  return text;
}

function parse(argv: string[]): Flags {
  return new Command("cleanroom-runtime")
    .requiredOption("--contract <id>", "the contract whose runs this clean room executes")
    .requiredOption("--endpoint <url>", "the governance service, e.g. https://127.0.0.1:8000")
    .requiredOption("--service-cert <file>", "the service certificate (PEM) to pin")
    .requiredOption("--workspace <dir>", "where the log, status and journal files live")
    .option("--platform <platform>", "attestation: virtual or snp", platform, "virtual")
    .option("--snp-sidecar <url>", "snp: the attestation sidecar's URL")
    .option("--host-data <hex>", "virtual: host data to claim")
    .option("--token-audience <aud>", "obtain an OIDC token for this audience in every run")
    .option("--poll-ms <ms>", "between polls for requested runs", positiveInteger)
    .option("--memory-limit <size>", "DuckDB memory limit, e.g. 4GB")
    .option("--threads <n>", "DuckDB threads", positiveInteger)
    .option(
      "--ram-directory <dir>",
      "RAM-backed folder for the engine's streams (default /dev/shm)",
    )
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .parse(argv)
    .opts<Flags>();
}

function main(): void {
  let options: RuntimeOptions;
  let runtime: ReturnType<typeof startRuntime>;
  try {
    const flags = parse(process.argv);
    options = {
      endpoint: flags.endpoint,
      serviceCertPem: readFileSync(flags.serviceCert, "utf8"),
      contractId: flags.contract,
      workspace: resolve(flags.workspace),
      platform: flags.platform,
      engine: {
        memoryLimit: flags.memoryLimit,
        threads: flags.threads,
        ramDirectory: flags.ramDirectory,
      },
      snpSidecar: flags.snpSidecar,
      hostData: flags.hostData,
      tokenAudience: flags.tokenAudience,
      pollMs: flags.pollMs,
    };
    runtime = startRuntime(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${JSON.stringify({ ready: false, error: message })}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `${JSON.stringify({
      ready: true,
      pid: process.pid,
      contractId: options.contractId,
      measurement: runtime.measurement,
      workspace: options.workspace,
    })}\n`,
  );
  const stop = () => {
    void runtime.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main();
