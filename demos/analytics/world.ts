// The demo's setting: its working folder, the storage services it starts (Azurite for northwind,
// the S3 server for woodgrove), the three personas, and what must be stopped at the end — in
// reverse order of starting, once, whether the demo succeeds, fails or is interrupted.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { startS3Server, type S3Server } from "../support/s3server.js";
import { PersonaCli } from "./cli.js";
import type { Journal, Persona } from "./journal.js";

export const CONTRACT = "analytics";
export const REGION = "us-east-1";

export interface World {
  /** The out-of-band channel: files one persona hands another (service certificate, codes). */
  mailbox: string;
  journal: Journal;
  azurite: AzuriteServer;
  s3: S3Server;
  operator: PersonaCli;
  northwind: PersonaCli;
  woodgrove: PersonaCli;
  /** Each persona's own folder for its data (plaintext, ciphertext, results). */
  folder(persona: "northwind" | "woodgrove"): string;
  /** Registers something to stop at the end (run last-registered first). */
  onCleanup(who: Persona, label: string, action: () => Promise<void>): void;
}

/** Something to stop, by whom: printed as a step when it is done. */
interface StopAction {
  who: Persona;
  label: string;
  action: () => Promise<void>;
}

export class Cleanup {
  private readonly actions: StopAction[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly journal: Journal) {}

  /** Registers an action; once the cleanup has begun, a late one (a step that was under way) runs at once. */
  add(who: Persona, label: string, action: () => Promise<void>): void {
    const stop = { who, label, action };
    if (this.running === undefined) this.actions.push(stop);
    else this.running = this.running.then(() => this.runOne(stop));
  }

  private async runOne({ who, label, action }: StopAction): Promise<void> {
    const t0 = performance.now();
    try {
      await action();
      this.journal.record(who, label, performance.now() - t0);
    } catch (error) {
      this.journal.record(who, label, performance.now() - t0, ` → ${(error as Error).message}`);
    }
  }

  /** Runs every action once (later calls wait for the same work, late additions included). */
  async run(): Promise<void> {
    this.running ??= (async () => {
      for (const stop of this.actions.reverse()) await this.runOne(stop);
    })();
    let current: Promise<void>;
    do {
      current = this.running;
      await current;
    } while (current !== this.running);
  }
}

/** Starts the storage services and sets up the personas' folders. */
export async function createWorld(
  workdir: string,
  journal: Journal,
  cleanup: Cleanup,
): Promise<World> {
  const services = join(workdir, "services");
  const mailbox = join(workdir, "mailbox");
  const tmp = join(workdir, "tmp");
  for (const dir of [services, mailbox, tmp]) mkdirSync(dir, { recursive: true });
  // Each is registered for stopping as soon as it runs, even if the other fails to start.
  const [azurite, s3] = await Promise.all([
    journal.step("demo", "start Azurite (Azure Blob emulator) for northwind", async () => {
      const server = await startAzurite({ directory: services });
      cleanup.add("demo", "stop Azurite", () => server.stop());
      return server;
    }),
    journal.step("demo", "start the S3 server for woodgrove", async () => {
      const server = await startS3Server({ directory: services });
      cleanup.add("demo", "stop the S3 server", () => server.stop());
      return server;
    }),
  ]);
  // Everything the CLI or what it starts writes to a temporary folder stays in the working folder.
  const common = { TMPDIR: tmp };
  const persona = (name: string, env: Record<string, string> = {}) =>
    new PersonaCli(name, join(workdir, name, "home"), { ...common, ...env }, join(workdir, name));
  const folder = (name: "northwind" | "woodgrove") => join(workdir, name);
  return {
    mailbox,
    journal,
    azurite,
    s3,
    operator: persona("operator"),
    // Each owner's storage credentials reach its own CLI processes only, through the environment.
    northwind: persona("northwind", { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString }),
    woodgrove: persona("woodgrove", {
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: REGION,
    }),
    folder,
    onCleanup: (who, label, action) => cleanup.add(who, label, action),
  };
}
