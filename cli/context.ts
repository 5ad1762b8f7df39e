/**
 * What every command needs, built once per command from its global options (`--profile`,
 * `--json`): the profile store and the selected profile, output, and clients built from the
 * profile. Commands receive a Context and never reach for process.*, so tests give them fakes.
 */
import { connectGovernance, type GovernanceClient } from "../client/governance/index.js";
import { UserError } from "./errors.js";
import { createOutput, type Output, type Stream } from "./output.js";
import { configHome, ProfileStore, type Profile } from "./profile/store.js";

/** Options every command accepts. */
export interface GlobalOptions {
  profile?: string;
  json?: boolean;
}

/** The process around a command: streams and environment. */
export interface Io {
  stdout: Stream;
  stderr: Stream;
  env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

export interface Context {
  readonly io: Io;
  readonly out: Output;
  readonly store: ProfileStore;
  /** The selected profile's name (`--profile`, `CLEANROOM_PROFILE`, `profile use`), if any. */
  readonly profileName: string | undefined;
  /** The selected profile; a UserError if none is selected or it does not exist. */
  profile(): Profile;
  /**
   * The governance client for the profile: HTTPS to its endpoint pinned to its service
   * certificate, its certificate and key for mTLS, and its key to sign /gov requests when it is
   * a member. The caller closes it (`client.close()`).
   */
  governance(profile?: Profile): GovernanceClient;
}

export function selectedProfileName(
  options: GlobalOptions,
  env: Io["env"],
  store: ProfileStore,
): string | undefined {
  return options.profile || env["CLEANROOM_PROFILE"] || store.currentName();
}

export function createContext(options: GlobalOptions, io: Io = processIo()): Context {
  const store = new ProfileStore(configHome(io.env));
  const out = createOutput({
    json: options.json === true,
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
  });
  const profileName = selectedProfileName(options, io.env, store);
  let loaded: Profile | undefined;

  const profile = (): Profile => {
    if (loaded) return loaded;
    if (profileName === undefined) {
      const known = store.names();
      throw new UserError(
        "no profile selected",
        known.length > 0
          ? `pass --profile <name> (known: ${known.join(", ")}), or set one with \`cleanroom profile use <name>\``
          : "create one with `cleanroom profile create <name>`",
        "NoProfile",
      );
    }
    loaded = store.read(profileName);
    return loaded;
  };

  const governance = (p: Profile = profile()): GovernanceClient => {
    if (!p.endpoint) {
      throw new UserError(
        `profile '${p.name}' has no consortium endpoint`,
        `create the consortium (\`cleanroom consortium create\`) or record one with \`cleanroom consortium create --endpoint URL --service-cert FILE --profile ${p.name}\``,
        "NoEndpoint",
      );
    }
    const certPem = store.certPem(p);
    const privateKeyPem = store.privateKeyPem(p);
    return connectGovernance({
      url: p.endpoint,
      serviceCertPem: store.serviceCertPem(p),
      clientCertPem: certPem,
      clientKeyPem: privateKeyPem,
      ...(p.kind === "member" ? { member: { certPem, privateKeyPem } } : {}),
      // A person is waiting: fail fast when the service is not there.
      retries: 1,
      timeoutMs: 15_000,
    });
  };

  return {
    io,
    out,
    store,
    profileName,
    profile,
    governance,
  };
}
