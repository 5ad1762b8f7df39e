/**
 * Persona profiles on disk. The config directory is `$CLEANROOM_HOME`, else
 * `$XDG_CONFIG_HOME/cleanroom`, else `~/.config/cleanroom`; in it:
 *
 *   current                      the default profile's name (`profile use`)
 *   profiles/<name>/             one folder per persona, mode 0700
 *     profile.json               name, endpoint, identity kind and id, local consortium
 *     cert.pem                   the persona's certificate
 *     privk.pem                  its private key, mode 0600
 *     service_cert.pem           the pinned service certificate (when an endpoint is known)
 *     datasets/<contractId>/     mode 0700: one `<datasetId>.json` (mode 0600) per dataset this
 *                                persona owns: its DEK (or where Key Vault keeps it), planned
 *                                document, grants it minted
 *
 * Each persona has its own key: profiles never share private material.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { X509Certificate } from "node:crypto";
import { generateIdentity, identityId, type Identity } from "../../client/identity.js";
import type { KeyVaultSecretRef } from "../../client/keyvault.js";
import { UserError } from "../errors.js";

export type IdentityKind = "member" | "user";

/** A sandbox this persona started (`consortium create`), to show and stop it. */
export interface LocalConsortium {
  url: string;
  workspace: string;
  log: string;
  /** The sandbox process; absent once stopped. */
  pid?: number;
  startedAt?: string;
}

/** What `profile.json` holds. */
export interface Profile {
  name: string;
  /** The governance service, e.g. https://127.0.0.1:8000. */
  endpoint?: string;
  /** File name (in the profile's folder) of the pinned service certificate. */
  serviceCert?: string;
  /** Whether this persona is (or is to become) a member or a user; unknown until then. */
  kind?: IdentityKind;
  /** The certificate's id: lower-hex SHA-256 of its DER, CCF's member id and user id. */
  id: string;
  createdAt: string;
  consortium?: LocalConsortium;
}

/** A dataset this persona owns (`datasets/<contractId>/<datasetId>.json`): secret, mode 0600. */
export interface DatasetKeyFile {
  contractId: string;
  datasetId: string;
  /** The DEK, base64 (never printed); absent when Key Vault keeps it. */
  dek?: string;
  /** Where Key Vault keeps the DEK (`dataset create --key-vault`) instead of `dek`. */
  keyVault?: KeyVaultSecretRef;
  /** The document without `encryption` (added when it is published). */
  document: Record<string, unknown>;
  createdAt: string;
  /** The grants minted for it (Azure: the stored access policy that `revoke` deletes). */
  grants?: Record<string, { kind: string; access: string; expiresAt: string; policyId?: string }>;
}

export const PROFILE_FILE = "profile.json";
export const CERT_FILE = "cert.pem";
export const KEY_FILE = "privk.pem";
export const SERVICE_CERT_FILE = "service_cert.pem";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Where profiles live, from the environment (see the module comment). */
export function configHome(env: Readonly<Record<string, string | undefined>>): string {
  if (env["CLEANROOM_HOME"]) return resolve(env["CLEANROOM_HOME"]);
  if (env["XDG_CONFIG_HOME"]) return resolve(env["XDG_CONFIG_HOME"], "cleanroom");
  return join(env["HOME"] || homedir(), ".config", "cleanroom");
}

export function checkProfileName(name: string): string {
  if (!NAME.test(name) || name.endsWith(".")) {
    throw new UserError(
      `'${name}' is not a valid profile name`,
      "use letters, digits, '.', '-' and '_' (up to 64), starting with a letter or digit",
      "InvalidProfileName",
    );
  }
  return name;
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
}

function writeAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

export interface CreateProfileOptions {
  kind?: IdentityKind;
  endpoint?: string;
  serviceCertPem?: string;
  /** Adopt an existing key and certificate instead of generating new ones. */
  identity?: Pick<Identity, "certPem" | "privateKeyPem">;
}

export class ProfileStore {
  constructor(readonly home: string) {}

  private get profilesDir(): string {
    return join(this.home, "profiles");
  }

  dir(name: string): string {
    return join(this.profilesDir, checkProfileName(name));
  }

  exists(name: string): boolean {
    return existsSync(join(this.dir(name), PROFILE_FILE));
  }

  names(): string[] {
    if (!existsSync(this.profilesDir)) return [];
    return readdirSync(this.profilesDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(this.profilesDir, e.name, PROFILE_FILE)))
      .map((e) => e.name)
      .sort();
  }

  list(): Profile[] {
    return this.names().map((name) => this.read(name));
  }

  read(name: string): Profile {
    if (!this.exists(name)) {
      const known = this.names();
      throw new UserError(
        `no profile named '${name}' in ${this.profilesDir}`,
        known.length > 0
          ? `known profiles: ${known.join(", ")}; or create it with \`cleanroom profile create ${name}\``
          : `create it with \`cleanroom profile create ${name}\``,
        "UnknownProfile",
      );
    }
    const path = join(this.dir(name), PROFILE_FILE);
    try {
      return JSON.parse(readFileSync(path, "utf8")) as Profile;
    } catch (error) {
      throw new UserError(
        `${path} is not valid JSON (${(error as Error).message})`,
        `fix or delete it (\`cleanroom profile delete ${name} --yes\`)`,
        "CorruptProfile",
      );
    }
  }

  write(profile: Profile): void {
    writeAtomic(
      join(this.dir(profile.name), PROFILE_FILE),
      JSON.stringify(profile, null, 2) + "\n",
    );
  }

  /** Applies `change` to the stored profile and writes it back. */
  update(name: string, change: (profile: Profile) => void): Profile {
    const profile = this.read(name);
    change(profile);
    this.write(profile);
    return profile;
  }

  async create(name: string, options: CreateProfileOptions = {}): Promise<Profile> {
    checkProfileName(name);
    if (this.exists(name)) {
      throw new UserError(
        `profile '${name}' already exists`,
        `see it with \`cleanroom profile show ${name}\`, or pick another name`,
        "ProfileExists",
      );
    }
    const identity = options.identity ?? (await generateIdentity({ commonName: name }));
    const id = identityId(identity.certPem);
    const dir = this.dir(name);
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
    mkdirSync(this.profilesDir, { recursive: true, mode: 0o700 });
    // A folder left by an interrupted create (no profile.json) is replaced.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700);
    writePrivate(join(dir, KEY_FILE), identity.privateKeyPem);
    writeFileSync(join(dir, CERT_FILE), identity.certPem, { mode: 0o644 });
    const profile: Profile = { name, id, createdAt: new Date().toISOString() };
    if (options.kind) profile.kind = options.kind;
    if (options.endpoint !== undefined) profile.endpoint = options.endpoint;
    if (options.serviceCertPem !== undefined) {
      this.pinServiceCert(profile, options.serviceCertPem);
    }
    this.write(profile);
    return profile;
  }

  /** Stores `pem` as the profile's pinned service certificate (the caller writes the profile). */
  pinServiceCert(profile: Profile, pem: string): void {
    try {
      new X509Certificate(pem);
    } catch {
      throw new UserError(
        "the service certificate is not a PEM certificate",
        "pass the service_cert.pem of the consortium (from its operator)",
        "InvalidServiceCert",
      );
    }
    writeAtomic(join(this.dir(profile.name), SERVICE_CERT_FILE), pem, 0o644);
    profile.serviceCert = SERVICE_CERT_FILE;
  }

  delete(name: string): void {
    this.read(name);
    rmSync(this.dir(name), { recursive: true, force: true });
    if (this.currentName() === name) rmSync(this.currentFile, { force: true });
  }

  certPem(profile: Profile): string {
    return readFileSync(join(this.dir(profile.name), CERT_FILE), "utf8");
  }

  privateKeyPem(profile: Profile): string {
    const path = join(this.dir(profile.name), KEY_FILE);
    if (!existsSync(path)) {
      throw new UserError(
        `profile '${profile.name}' has no private key (${path})`,
        "restore it from your backup, or create a new profile",
        "MissingKey",
      );
    }
    return readFileSync(path, "utf8");
  }

  /** The pinned service certificate, or a UserError saying how to pin one. */
  serviceCertPem(profile: Profile): string {
    if (!profile.serviceCert) {
      throw new UserError(
        `profile '${profile.name}' has no service certificate pinned`,
        `run \`cleanroom profile create\` with --endpoint and --service-cert, or \`cleanroom consortium create\``,
        "NoEndpoint",
      );
    }
    return readFileSync(join(this.dir(profile.name), profile.serviceCert), "utf8");
  }

  /** Where a dataset's key file lives (ids are checked by the caller against ID_PATTERN). */
  datasetKeyPath(profile: Profile, contractId: string, datasetId: string): string {
    return join(this.dir(profile.name), "datasets", contractId, `${datasetId}.json`);
  }

  /** The dataset's key file, or undefined if this persona has none. */
  readDatasetKey(
    profile: Profile,
    contractId: string,
    datasetId: string,
  ): DatasetKeyFile | undefined {
    const path = this.datasetKeyPath(profile, contractId, datasetId);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, "utf8")) as DatasetKeyFile;
    } catch (error) {
      throw new UserError(
        `${path} is not valid JSON (${(error as Error).message})`,
        "restore it from your backup: it holds the dataset's key",
        "CorruptProfile",
      );
    }
  }

  /** The key files of the datasets this persona owns in `contractId` (none: an empty list). */
  listDatasetKeys(profile: Profile, contractId: string): DatasetKeyFile[] {
    const dir = join(this.dir(profile.name), "datasets", contractId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .sort()
      .flatMap((name) => {
        const file = this.readDatasetKey(profile, contractId, name.slice(0, -".json".length));
        return file ? [file] : [];
      });
  }

  /** Writes the dataset's key file (mode 0600, its folders 0700), replacing it atomically. */
  writeDatasetKey(profile: Profile, file: DatasetKeyFile): void {
    const path = this.datasetKeyPath(profile, file.contractId, file.datasetId);
    const datasets = join(this.dir(profile.name), "datasets");
    for (const dir of [datasets, join(datasets, file.contractId)]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    }
    writeAtomic(path, JSON.stringify(file, null, 2) + "\n", 0o600);
    chmodSync(path, 0o600);
  }

  private get currentFile(): string {
    return join(this.home, "current");
  }

  /** The default profile (`profile use`), if one is set. */
  currentName(): string | undefined {
    try {
      const name = readFileSync(this.currentFile, "utf8").trim();
      return name || undefined;
    } catch {
      return undefined;
    }
  }

  setCurrent(name: string): void {
    this.read(name);
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
    writeAtomic(this.currentFile, `${name}\n`, 0o644);
  }
}
