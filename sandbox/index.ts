/**
 * The sandbox: a single-node CCF-compatible host. `startSandbox` prepares the workspace, starts
 * the engine thread (genesis, member activation, app deployment, users, service opening — all
 * through signed governance requests, as on CCF) and the HTTPS front end.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { BundleError, loadBundle, type Bundle } from "./bundle.js";
import { Engine } from "./engine.js";
import { CCF_DEFAULT_SNP_TRUST } from "./globals/snp.js";
import { createFrontEnd } from "./http/server.js";
import { nodeIdOf, type SignatureSchedule } from "./ledger/index.js";
import type { Sandbox, SandboxOptions } from "./types.js";
import { prepareWorkspace } from "./workspace.js";

export type { GovernanceAction, Sandbox, SandboxOptions, SnpTrust } from "./types.js";
export { BundleError, loadBundle } from "./bundle.js";

/** The project's own governance bundle and its constitution additions, served by default. */
export const DEFAULT_BUNDLE = new URL("../../governance/build/bundle.json", import.meta.url);
export const DEFAULT_CONSTITUTION = new URL(
  "../../governance/build/constitution_additions.js",
  import.meta.url,
);

function defaultBundle(): Bundle {
  if (!existsSync(DEFAULT_BUNDLE)) {
    throw new BundleError(
      `The governance app is not built (${DEFAULT_BUNDLE.pathname}): run npm run build, or pass a bundle`,
    );
  }
  return loadBundle(DEFAULT_BUNDLE.pathname);
}

/**
 * When the node signs the ledger's Merkle root: CCF signs every 5000 transactions or 1000 ms;
 * the sandbox signs sooner, so that a local client sees its writes committed within ~50 ms.
 */
export const SANDBOX_SIGNATURE_SCHEDULE: SignatureSchedule = { txCount: 5000, delayMs: 50 };

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  const bundle = options.bundle !== undefined ? loadBundle(options.bundle) : defaultBundle();
  const additionPaths =
    options.constitution ?? (options.bundle === undefined ? [DEFAULT_CONSTITUTION.pathname] : []);
  const constitutionAdditions = additionPaths.map((path) => {
    try {
      return readFileSync(resolve(path), "utf8");
    } catch (error) {
      throw new Error(`Cannot read constitution file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  });
  // Without a workspace the sandbox makes an ephemeral one, and removes it when it stops.
  const ephemeral = options.workspace === undefined;
  const workspaceDir = resolve(
    options.workspace ?? mkdtempSync(join(tmpdir(), "cleanroom-sandbox-")),
  );
  const hosts = [...new Set([host, "127.0.0.1", "localhost"])];
  const workspace = await prepareWorkspace(workspaceDir, {
    members: options.members ?? 1,
    users: options.users ?? 1,
    hosts,
  });

  const engine = await Engine.start(
    {
      nodeId: nodeIdOf(new X509Certificate(workspace.node.certPem)),
      nodeCertPem: workspace.node.certPem,
      nodePrivateKeyPem: workspace.node.privateKeyPem,
      serviceCertPem: workspace.service.certPem,
      ledgerDir: join(workspace.dir, "ledger"),
      ledgerSecretPath: join(workspace.dir, "node", "ledger_secret"),
      signatures: { ...SANDBOX_SIGNATURE_SCHEDULE, ...options.signatures },
      members: workspace.members.map((m) => ({
        certPem: m.certPem,
        ...(m.privateKeyPem ? { privateKeyPem: m.privateKeyPem } : {}),
      })),
      users: workspace.users.map((u) => ({ certPem: u.certPem })),
      bundle,
      constitutionAdditions,
      snpTrust: options.snpTrust ?? CCF_DEFAULT_SNP_TRUST,
    },
    log,
  );

  const server = createFrontEnd(workspace.node, (request) => engine.request(request), log);
  try {
    await new Promise<void>((ready, fail) => {
      server.once("error", fail);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", fail);
        ready();
      });
    });
  } catch (error) {
    await engine.stop();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let stopping: Promise<void> | undefined;
  return {
    url: `https://${urlHost}:${port}`,
    host,
    port,
    workspace: workspace.dir,
    serviceCertPem: workspace.service.certPem,
    applyActions: (actions) => engine.applyActions(actions),
    stop() {
      stopping ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      })
        .then(() => engine.stop())
        .then(() => {
          if (ephemeral) rmSync(workspaceDir, { recursive: true, force: true });
        });
      return stopping;
    },
  };
}
