/**
 * A stand-in for Azure Key Vault and its token issuer, for tests that drive the real
 * `@azure/keyvault-secrets` and `@azure/identity` packages end to end (no Key Vault or emulator can
 * run here). One HTTPS server, told apart by host name:
 *
 * - `kv.vault.localhost`: the secrets data plane the CLI uses — set a secret (PUT
 *   /secrets/{name}), get one by version or the latest (GET /secrets/{name}[/{version}]), delete
 *   it (DELETE /secrets/{name}) — at the api-version the SDK sends. A request without a valid
 *   bearer token gets Key Vault's challenge (401, `WWW-Authenticate: Bearer authorization=…,
 *   resource=https://vault.localhost`); the SDK checks that the resource's host is a parent of the
 *   vault's, as for `*.vault.azure.net`. Only tokens this stand-in issued for that resource pass.
 *   `deny` answers every authenticated call with 403, as a vault does for an identity without the
 *   permission.
 * - `login.localhost`: an AD FS authority (tenant `adfs`), the one path of `EnvironmentCredential`
 *   (client id and secret, `AZURE_AUTHORITY_HOST`) that does not ask login.microsoftonline.com for
 *   instance discovery: MSAL reads `/adfs/.well-known/openid-configuration`, then posts a
 *   client-credentials grant to its token endpoint, which checks the client id, secret and scope.
 *
 * `env` limits DefaultAzureCredential to EnvironmentCredential (AZURE_TOKEN_CREDENTIALS).
 *
 * TLS: a CA and a server certificate made with the sandbox's workspace code; CLI processes trust
 * the CA through NODE_EXTRA_CA_CERTS and resolve `*.localhost` to loopback through the preload in
 * localhost-dns.ts (see `env`). Nothing in the product is relaxed for it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareWorkspace } from "../../sandbox/workspace.js";

const VAULT_HOST = "kv.vault.localhost";
const LOGIN_HOST = "login.localhost";
/** The resource a challenge names: a parent domain of the vault's, as vault.azure.net is. */
const RESOURCE = "https://vault.localhost";
const TENANT = "adfs";
/** The api-version @azure/keyvault-secrets 4.12 sends; anything else is refused like Azure does. */
export const KEY_VAULT_API_VERSIONS: readonly string[] = ["2026-04-01"];
const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;
const TOKEN_LIFETIME_S = 3600;

const PRELOAD = fileURLToPath(new URL("./localhost-dns.js", import.meta.url));

export interface StoredSecret {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  created: number;
}

export interface KeyVaultStandIn {
  /** The vault's URL, e.g. https://kv.vault.localhost:41234. */
  readonly vaultUrl: string;
  /** The environment a CLI process needs to reach and authenticate to this vault. */
  readonly env: Readonly<Record<string, string>>;
  /** Answer every authenticated secret operation with 403. */
  deny: boolean;
  /** Every version of `name`, oldest first (empty if none or deleted). */
  versions(name: string): StoredSecret[];
  /** Deletes `name` and all its versions, as `az keyvault secret delete` does. */
  deleteSecret(name: string): void;
  /** Requests served: method, path, status (never bodies or headers). */
  readonly log: readonly { method: string; path: string; status: number }[];
  /** The CA certificate (PEM) clients must trust. */
  readonly caPem: string;
  /** The server's loopback port. */
  readonly port: number;
  stop(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const error = (status: number, code: string, message: string): Reply => ({
  status,
  body: { error: { code, message } },
});

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startKeyVault(): Promise<KeyVaultStandIn> {
  const dir = mkdtempSync(join(tmpdir(), "cleanroom-keyvault-"));
  const workspace = await prepareWorkspace(dir, {
    members: 0,
    users: 0,
    hosts: [VAULT_HOST, LOGIN_HOST, "localhost", "127.0.0.1"],
  });
  const caPath = join(dir, "ca.pem");
  writeFileSync(caPath, workspace.service.certPem);

  const clientId = randomBytes(16).toString("hex");
  const clientSecret = randomBytes(24).toString("base64url");
  /** Issued tokens → when they expire (ms). */
  const tokens = new Map<string, number>();
  const secrets = new Map<string, StoredSecret[]>();
  const log: { method: string; path: string; status: number }[] = [];
  let port = 0;
  const origin = (host: string) => `https://${host}:${port}`;
  const authority = () => `${origin(LOGIN_HOST)}/${TENANT}`;

  const bundle = (name: string, secret: StoredSecret) => ({
    value: secret.value,
    id: `${origin(VAULT_HOST)}/secrets/${name}/${secret.version}`,
    ...(secret.contentType !== undefined ? { contentType: secret.contentType } : {}),
    ...(secret.tags !== undefined ? { tags: secret.tags } : {}),
    attributes: {
      enabled: true,
      created: secret.created,
      updated: secret.created,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: 90,
    },
  });

  function login(request: IncomingMessage, url: URL, body: string): Reply {
    const base = authority();
    if (
      request.method === "GET" &&
      url.pathname === `/${TENANT}/.well-known/openid-configuration`
    ) {
      return {
        status: 200,
        body: {
          issuer: base,
          authorization_endpoint: `${base}/oauth2/authorize`,
          token_endpoint: `${base}/oauth2/token`,
          jwks_uri: `${base}/discovery/keys`,
          end_session_endpoint: `${base}/oauth2/logout`,
        },
      };
    }
    if (request.method === "POST" && url.pathname === `/${TENANT}/oauth2/token`) {
      const form = new URLSearchParams(body);
      if (form.get("grant_type") !== "client_credentials") {
        return { status: 400, body: { error: "unsupported_grant_type" } };
      }
      if (form.get("client_id") !== clientId || form.get("client_secret") !== clientSecret) {
        return {
          status: 401,
          body: { error: "invalid_client", error_description: "MSIS9607: invalid client" },
        };
      }
      if (form.get("scope") !== `${RESOURCE}/.default`) {
        return { status: 400, body: { error: "invalid_scope" } };
      }
      const token = randomBytes(32).toString("base64url");
      tokens.set(token, Date.now() + TOKEN_LIFETIME_S * 1000);
      return {
        status: 200,
        body: { token_type: "Bearer", access_token: token, expires_in: TOKEN_LIFETIME_S },
      };
    }
    return { status: 404, body: { error: "not_found" } };
  }

  function authorized(request: IncomingMessage): boolean {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "");
    const expires = match ? tokens.get(match[1]!) : undefined;
    return expires !== undefined && expires > Date.now();
  }

  function vault(request: IncomingMessage, url: URL, body: string): Reply {
    const apiVersion = url.searchParams.get("api-version") ?? "";
    if (!KEY_VAULT_API_VERSIONS.includes(apiVersion)) {
      return error(400, "BadParameter", `The specified version (${apiVersion}) is not recognized`);
    }
    if (!authorized(request)) {
      return {
        ...error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
        headers: {
          "www-authenticate": `Bearer authorization="${authority()}", resource="${RESOURCE}"`,
        },
      };
    }
    const parts = url.pathname.split("/").filter((p) => p !== "");
    const [collection, name, version = ""] = parts;
    if (collection !== "secrets" || name === undefined || parts.length > 3) {
      return error(404, "NotFound", "no such operation");
    }
    if (!SECRET_NAME.test(name)) return error(400, "BadParameter", "invalid secret name");
    if (server.deny) {
      const permission = { PUT: "set", GET: "get", DELETE: "delete" }[request.method ?? ""];
      return error(
        403,
        "Forbidden",
        `The user, group or application does not have secrets ${permission ?? "any"} permission on this key vault.`,
      );
    }
    const stored = secrets.get(name) ?? [];
    if (request.method === "PUT" && version === "") {
      const parsed = JSON.parse(body) as {
        value?: unknown;
        contentType?: string;
        tags?: Record<string, string>;
      };
      if (typeof parsed.value !== "string") return error(400, "BadParameter", "value is required");
      const secret: StoredSecret = {
        version: randomBytes(16).toString("hex"),
        value: parsed.value,
        created: Math.floor(Date.now() / 1000),
        ...(parsed.contentType !== undefined ? { contentType: parsed.contentType } : {}),
        ...(parsed.tags !== undefined ? { tags: parsed.tags } : {}),
      };
      secrets.set(name, [...stored, secret]);
      return { status: 200, body: bundle(name, secret) };
    }
    if (request.method === "GET") {
      const secret = version === "" ? stored.at(-1) : stored.find((s) => s.version === version);
      if (secret === undefined) {
        return error(
          404,
          "SecretNotFound",
          `A secret with (name/id) ${name}/${version} was not found in this key vault.`,
        );
      }
      return { status: 200, body: bundle(name, secret) };
    }
    if (request.method === "DELETE" && version === "") {
      const latest = stored.at(-1);
      if (latest === undefined) return error(404, "SecretNotFound", `${name} was not found`);
      secrets.delete(name);
      const now = Math.floor(Date.now() / 1000);
      return {
        status: 200,
        body: {
          ...bundle(name, latest),
          recoveryId: `${origin(VAULT_HOST)}/deletedsecrets/${name}`,
          deletedDate: now,
          scheduledPurgeDate: now + 90 * 86400,
        },
      };
    }
    return error(405, "MethodNotAllowed", `${request.method} is not supported here`);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await bodyOf(request);
    const url = new URL(request.url ?? "/", "https://host");
    const host = (request.headers.host ?? "").replace(/:\d+$/, "");
    const reply =
      host === VAULT_HOST
        ? vault(request, url, body)
        : host === LOGIN_HOST
          ? login(request, url, body)
          : error(421, "MisdirectedRequest", `unknown host ${host}`);
    log.push({ method: request.method ?? "", path: url.pathname, status: reply.status });
    response.writeHead(reply.status, {
      "content-type": "application/json; charset=utf-8",
      ...reply.headers,
    });
    response.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
  }

  const listener: Server = createServer(
    { cert: workspace.node.certPem, key: workspace.node.privateKeyPem },
    (request, response) => {
      handle(request, response).catch(() => {
        response.writeHead(500).end();
      });
    },
  );
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const address = listener.address();
  port = typeof address === "object" && address !== null ? address.port : 0;

  const server: KeyVaultStandIn = {
    vaultUrl: origin(VAULT_HOST),
    env: {
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: clientId,
      AZURE_CLIENT_SECRET: clientSecret,
      AZURE_AUTHORITY_HOST: origin(LOGIN_HOST),
      // Only this credential: a developer's `az login` or a CI machine's managed identity must
      // not stand in for it.
      AZURE_TOKEN_CREDENTIALS: "EnvironmentCredential",
      NODE_EXTRA_CA_CERTS: caPath,
      NODE_OPTIONS: `--import=${PRELOAD}`,
    },
    deny: false,
    versions: (name) => [...(secrets.get(name) ?? [])],
    deleteSecret: (name) => void secrets.delete(name),
    log,
    caPem: workspace.service.certPem,
    port,
    async stop() {
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
