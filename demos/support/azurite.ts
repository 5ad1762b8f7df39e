// Azurite (the Azure Storage emulator, blob service only) for the demo and the test suites: a child
// process on a free loopback port, in memory, with telemetry off, working in a folder of its own,
// and always stopped (also when this process exits).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { canConnect, freePort } from "./ports.js";

/** Azurite's published development account (not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteServer {
  port: number;
  /** The child process's id (to check that it is gone after stop). */
  pid: number;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  accountUrl: string;
  accountName: string;
  accountKey: string;
  connectionString: string;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Where its working folder is made (default: the system's temporary folder). */
  directory?: string;
}

function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("azurite/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { bin: Record<string, string> };
  const bin = pkg.bin["azurite-blob"];
  if (bin === undefined) throw new Error("azurite has no azurite-blob binary");
  return join(dirname(pkgPath), bin);
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/** Starts Azurite's blob service; resolves once it accepts connections. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteServer> {
  installExitHook();
  const dir = mkdtempSync(join(options.directory ?? tmpdir(), "azurite-"));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        azuriteBlobMain(),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        String(port),
        "--inMemoryPersistence",
        "--disableTelemetry",
        "--silent",
        "--skipApiVersionCheck",
        "--loose",
      ],
      // Its working folder is its own, so nothing it might write lands anywhere else.
      { cwd: dir, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TMPDIR: dir } },
    );
    running.add(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    let exited = false;
    const exitedPromise = new Promise<void>((resolve) =>
      child.once("exit", () => {
        exited = true;
        running.delete(child);
        resolve();
      }),
    );
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline && !(await canConnect(port))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!exited && (await canConnect(port))) {
      const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
      return {
        port,
        pid: child.pid ?? 0,
        accountUrl,
        accountName: AZURITE_ACCOUNT,
        accountKey: AZURITE_KEY,
        connectionString:
          `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};` +
          `AccountKey=${AZURITE_KEY};BlobEndpoint=${accountUrl};`,
        async stop() {
          if (!exited) {
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
            await exitedPromise;
            clearTimeout(timer);
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill("SIGKILL");
    await exitedPromise;
    // The port may have been taken between probing and binding: try another one, twice.
    if (attempt >= 2) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`Azurite did not start: ${stderr.trim() || "no output"}`);
    }
  }
}
