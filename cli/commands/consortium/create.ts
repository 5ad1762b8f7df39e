/**
 * `cleanroom consortium create`: start a local sandbox serving the governance app (as a
 * background process), or record an existing CCF network, in the operator's profile.
 */
import type { Command } from "commander";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { identityId, keyMatchesCertificate } from "../../../client/identity.js";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { Profile } from "../../profile/store.js";
import { checkEndpoint, readServiceCert } from "../profile/create.js";
import { isSandbox, launchSandbox } from "./process.js";

export interface ConsortiumCreateOptions {
  endpoint?: string;
  serviceCert?: string;
  workspace?: string;
  /** Default: the port the sandbox had before (a restart keeps its URL), else 8000. */
  port?: number;
  members: number;
  users: number;
}

export interface ConsortiumCreated {
  profile: string;
  url: string;
  memberId: string;
  /** Whether a sandbox was started now (false: one was running, or --endpoint). */
  started: boolean;
  alreadyRunning: boolean;
  pid: number | null;
  workspace: string | null;
  log: string | null;
  serviceCert: string;
}

/** The operator's profile name: the selected one, else `operator`. */
function operatorName(ctx: Context): string {
  return ctx.profileName ?? "operator";
}

function created(ctx: Context, profile: Profile, started: boolean): ConsortiumCreated {
  const c = profile.consortium;
  return {
    profile: profile.name,
    url: profile.endpoint!,
    memberId: profile.id,
    started,
    alreadyRunning: !started && c?.pid !== undefined,
    pid: c?.pid ?? null,
    workspace: c?.workspace ?? null,
    log: c?.log ?? null,
    serviceCert: join(ctx.store.dir(profile.name), profile.serviceCert!),
  };
}

function describe(ctx: Context, result: ConsortiumCreated): string {
  const { bold } = ctx.out.style;
  const lines = [
    result.alreadyRunning
      ? `A sandbox is already running for profile ${bold(result.profile)}.`
      : result.started
        ? `Started a sandbox consortium for profile ${bold(result.profile)}.`
        : `Recorded the consortium in profile ${bold(result.profile)}.`,
    `URL:          ${result.url}`,
    `Member id:    ${result.memberId}`,
    `Service cert: ${result.serviceCert}`,
  ];
  if (result.pid !== null) lines.push(`Process:      ${result.pid}`);
  if (result.workspace !== null) lines.push(`Workspace:    ${result.workspace}`);
  if (result.log !== null) lines.push(`Log:          ${result.log}`);
  lines.push(
    `Give collaborators the URL and the service certificate; stop it with \`cleanroom consortium stop\`.`,
  );
  return lines.join("\n");
}

/**
 * Makes the operator's key and the workspace's member0 the same: a new profile adopts member0's
 * key if the workspace has one, and a profile's key is written as member0 of a new workspace.
 */
async function operatorProfile(ctx: Context, name: string, workspace: string): Promise<Profile> {
  const certPath = join(workspace, "member0_cert.pem");
  const keyPath = join(workspace, "member0_privk.pem");
  const wsCert = existsSync(certPath) ? readFileSync(certPath, "utf8") : undefined;
  const wsKey = existsSync(keyPath) ? readFileSync(keyPath, "utf8") : undefined;
  let profile: Profile;
  if (!ctx.store.exists(name)) {
    if (wsCert !== undefined && wsKey !== undefined && keyMatchesCertificate(wsCert, wsKey)) {
      return ctx.store.create(name, {
        kind: "member",
        identity: { certPem: wsCert, privateKeyPem: wsKey },
      });
    }
    profile = await ctx.store.create(name, { kind: "member" });
  } else {
    profile = ctx.store.read(name);
    if (profile.kind === "user") {
      throw new UserError(
        `profile '${name}' is a user, and the operator must be a member`,
        "pass --profile with another name (a new profile is created for the operator)",
        "NotAMember",
      );
    }
  }
  if (wsCert !== undefined) {
    if (identityId(wsCert) !== profile.id) {
      throw new UserError(
        `member0 of workspace ${workspace} is not profile '${name}'`,
        "use the profile that created this workspace, or another --workspace",
        "WorkspaceMismatch",
      );
    }
    return profile;
  }
  mkdirSync(workspace, { recursive: true, mode: 0o700 });
  writeFileSync(keyPath, ctx.store.privateKeyPem(profile), { mode: 0o600 });
  writeFileSync(certPath, ctx.store.certPem(profile));
  return profile;
}

function previousPort(profile: Profile | undefined): number | undefined {
  const url = profile?.consortium?.url;
  return url ? Number(new URL(url).port) || undefined : undefined;
}

async function createLocal(
  ctx: Context,
  name: string,
  options: ConsortiumCreateOptions,
): Promise<ConsortiumCreated> {
  const existing = ctx.store.exists(name) ? ctx.store.read(name) : undefined;
  const pid = existing?.consortium?.pid;
  if (existing && pid !== undefined && isSandbox(pid)) return created(ctx, existing, false);
  const workspace = resolve(
    options.workspace ?? existing?.consortium?.workspace ?? join(ctx.store.home, "sandboxes", name),
  );
  await operatorProfile(ctx, name, workspace);
  const log = join(workspace, "sandbox.log");
  ctx.out.note(`Starting a sandbox in ${workspace} …`);
  const ready = await launchSandbox({
    workspace,
    log,
    port: options.port ?? previousPort(existing) ?? 8000,
    members: options.members,
    users: options.users,
  });
  const profile = ctx.store.update(name, (p) => {
    p.kind = "member";
    p.endpoint = ready.url;
    ctx.store.pinServiceCert(p, readFileSync(join(workspace, "service_cert.pem"), "utf8"));
    p.consortium = {
      url: ready.url,
      workspace,
      log,
      pid: ready.pid,
      startedAt: new Date().toISOString(),
    };
  });
  if (ctx.store.currentName() === undefined) ctx.store.setCurrent(name);
  return created(ctx, profile, true);
}

async function recordRemote(
  ctx: Context,
  name: string,
  options: ConsortiumCreateOptions,
): Promise<ConsortiumCreated> {
  if (options.serviceCert === undefined) {
    throw new UserError(
      "--endpoint needs --service-cert",
      "pass the network's service certificate (service_cert.pem) to pin it",
      "UsageError",
    );
  }
  const endpoint = checkEndpoint(options.endpoint!);
  const pem = readServiceCert(options.serviceCert);
  if (!ctx.store.exists(name)) await ctx.store.create(name, { kind: "member" });
  const running = ctx.store.read(name).consortium?.pid;
  if (running !== undefined && isSandbox(running)) {
    throw new UserError(
      `profile '${name}' runs a local sandbox (pid ${running})`,
      "stop it first (`cleanroom consortium stop`), or use another --profile",
      "ConsortiumRunning",
    );
  }
  const profile = ctx.store.update(name, (p) => {
    p.endpoint = endpoint;
    ctx.store.pinServiceCert(p, pem);
    delete p.consortium;
  });
  if (ctx.store.currentName() === undefined) ctx.store.setCurrent(name);
  return created(ctx, profile, false);
}

export async function runConsortiumCreate(
  ctx: Context,
  options: ConsortiumCreateOptions,
): Promise<ConsortiumCreated> {
  const name = operatorName(ctx);
  const result =
    options.endpoint !== undefined
      ? await recordRemote(ctx, name, options)
      : await createLocal(ctx, name, options);
  ctx.out.result(result, describe(ctx, result));
  return result;
}

export function consortiumCreateCommand(): Command {
  return defineCommand("create", {
    summary: "start a local consortium, or record an existing CCF network",
    description:
      "As the operator, starts a sandbox — a single-node CCF-compatible service running the\n" +
      "cleanroom governance app — in the background, with its workspace (keys, ledger, log) in\n" +
      "the config directory or --workspace. The operator profile (--profile, else 'operator') is\n" +
      "member0: its key signs governance requests; the service certificate is pinned in it.\n" +
      "Running it again while the sandbox runs just shows it; after `consortium stop` it restarts\n" +
      "the same consortium from its ledger.\n\n" +
      "With --endpoint and --service-cert it starts nothing: it records an existing CCF network\n" +
      "in the profile (register the profile's certificate as a member there).",
    examples: [
      "cleanroom consortium create",
      "cleanroom consortium create --profile operator --port 0 --users 2 --json",
      "cleanroom consortium create --endpoint https://ccf.example.com --service-cert service_cert.pem",
    ],
  })
    .option("--workspace <dir>", "sandbox workspace (keys, ledger, log)")
    .option(
      "--port <port>",
      "port for the sandbox (0 picks a free one; default: its last port, else 8000)",
      integer(0, 65535),
    )
    .option("--members <n>", "initial members of the sandbox", integer(1, 100), 1)
    .option(
      "--users <n>",
      "initial users of the sandbox (keys in the workspace)",
      integer(0, 100),
      0,
    )
    .option("--endpoint <url>", "an existing CCF network's address (starts nothing)")
    .option("--service-cert <file>", "the existing network's service certificate (PEM)")
    .action(async (options: ConsortiumCreateOptions, command: Command) => {
      await runConsortiumCreate(contextOf(command), options);
    });
}
