/** Starts a sandbox serving the fixture app, with a client that pins its service certificate. */
import { fileURLToPath } from "node:url";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../sandbox/index.js";
import { Client, type Identity } from "./client.js";

export const FIXTURE_BUNDLE = fileURLToPath(
  new URL("../../../test/fixture-app/build", import.meta.url),
);

export interface FixtureSandbox {
  sandbox: Sandbox;
  client: Client;
  user0: Identity;
  member0: Identity;
  /** Log lines the sandbox printed so far. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startFixture(options: SandboxOptions = {}): Promise<FixtureSandbox> {
  const logs: string[] = [];
  const sandbox = await startSandbox({
    bundle: FIXTURE_BUNDLE,
    log: (line) => logs.push(line),
    ...options,
  });
  const client = new Client(sandbox.url, sandbox.serviceCertPem);
  return {
    sandbox,
    client,
    user0: Client.identity(sandbox.workspace, "user0"),
    member0: Client.identity(sandbox.workspace, "member0"),
    logs,
    async stop() {
      client.close();
      await sandbox.stop();
    },
  };
}
