/**
 * `cleanroom dataset grant` and `revoke`: a credential for the clean room scoped to the dataset's
 * container or bucket, read or write, with an expiry, stored in governance as an access grant.
 * Azure: a container SAS under a stored access policy. S3: temporary credentials from STS with the
 * grant's policy as session policy, or (`--static-credentials`) the owner's keys as they are.
 */
import { Option, type Command } from "commander";
import { stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { DatasetLocation } from "../../../contracts/src/dataset.js";
import {
  AzureBlobStorage,
  S3Storage,
  StsError,
  createS3Grant,
  defaultAwsCredentials,
  grantAzureAccess,
  grantName,
  mintS3Grant,
  revokeAzureAccess,
  s3GrantValue,
  stsDurationSeconds,
  stsSessionName,
  type GrantAccess,
  type IamPolicyDocument,
  type S3AccessGrant,
  type S3Credentials,
  type S3GrantIssuer,
  type S3Location,
} from "../../../client/storage/index.js";
import type { GrantKind } from "../../../client/governance/index.js";
import { writeAtomically } from "../../../client/temporary.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import {
  mapped,
  openLocation,
  ownedDataset,
  withCredentialOptions,
  type CredentialOptions,
} from "./common.js";

export interface GrantOptions extends CredentialOptions {
  read?: boolean;
  write?: boolean;
  expires: string;
  name?: string;
  credentialOut?: string;
  /** S3: AssumeRole on this role (GetFederationToken without it). */
  roleArn?: string;
  /** S3: the STS endpoint (S3-compatible services, tests); default AWS STS. */
  stsEndpoint?: string;
  /** S3: the session token of temporary caller credentials. */
  sessionToken?: string;
  /** S3: store --access-key-id/--secret-access-key as they are (servers without STS). */
  staticCredentials?: boolean;
}

export interface Granted {
  contractId: string;
  datasetId: string;
  name: string;
  kind: GrantKind;
  access: GrantAccess;
  expiresAt: string;
  /** Whether the storage service itself enforces the grant's scope and expiry. */
  scopedByServer: boolean;
  /** S3: who made the credentials (STS, or the owner's static keys). */
  issuer?: S3GrantIssuer;
  /** S3 via STS: the minted access key id (never the secret or session token). */
  accessKeyId?: string;
  /** S3: the session policy sent to STS, or (static) the policy to attach to the keys' principal. */
  policy?: IamPolicyDocument;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `30m`, `1h`, `7d` as milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) {
    throw new UserError(
      `invalid duration '${text}'`,
      "write a whole number and a unit, e.g. 90s, 30m, 1h or 7d",
      "InvalidDuration",
    );
  }
  return Number(match[1]) * UNITS[match[2]!]! * 1000;
}

/** Refuses, before any credential is minted, a --credential-out path that cannot be written. */
async function checkCredentialOut(path: string): Promise<void> {
  const [folder, existing] = await Promise.all([
    stat(dirname(path)).catch(() => null),
    stat(path).catch(() => null),
  ]);
  if (folder === null || !folder.isDirectory() || (existing !== null && !existing.isFile())) {
    throw new UserError(
      `cannot write the credential to ${path}: ${folder?.isDirectory() ? "something other than a file is there" : "its folder does not exist"}`,
      "pass --credential-out a file path in an existing folder",
      "UsageError",
    );
  }
}

export async function runGrant(
  ctx: Context,
  contractId: string,
  datasetId: string,
  options: GrantOptions,
): Promise<Granted> {
  const profile = ctx.profile();
  const file = ownedDataset(ctx, profile, contractId, datasetId);
  if (options.read === options.write) {
    throw new UserError(
      "pass exactly one of --read and --write",
      "--read for a dataset the clean room reads, --write for an output",
      "UsageError",
    );
  }
  const access: GrantAccess = options.read ? "read" : "write";
  if (options.credentialOut !== undefined) await checkCredentialOut(options.credentialOut);
  const expiresAt = new Date(Date.now() + parseDuration(options.expires));
  const name = options.name ?? grantName(datasetId, access);
  const location = file.document["location"] as DatasetLocation;
  let value: string;
  let kind: GrantKind;
  let policyId: string | undefined;
  let s3: S3AccessGrant | undefined;
  let expiry: string;
  let storage: AzureBlobStorage | undefined;
  if (location.kind === "azure-blob") {
    const s3Only = [
      ["--role-arn", options.roleArn],
      ["--sts-endpoint", options.stsEndpoint],
      ["--static-credentials", options.staticCredentials],
    ].filter(([, value]) => value !== undefined && value !== false);
    if (s3Only.length > 0) {
      throw new UserError(
        `${s3Only.map(([flag]) => flag).join(", ")} ${s3Only.length > 1 ? "are" : "is"} for S3 datasets; ${datasetId} is in Azure Blob`,
        "an Azure grant is a container SAS minted with the account key (--account-key or a connection string)",
        "UsageError",
      );
    }
    const opened = openLocation(location, options);
    storage = opened as AzureBlobStorage;
    if (!(opened instanceof AzureBlobStorage) || opened.sharedKey === undefined) {
      throw new UserError(
        "minting an Azure grant needs the storage account key",
        "pass --account-key, or set AZURE_STORAGE_CONNECTION_STRING to a connection string with AccountKey",
        "NoCredentials",
      );
    }
    // The clean room's write grant cannot create the sink's container: the owner makes it now.
    if (access === "write") await mapped(() => opened.create());
    const grant = await mapped(() => grantAzureAccess(opened, { access, expiresAt }));
    ({ policyId, sas: value, expiresAt: expiry } = grant);
    kind = "azure-sas";
  } else if (location.kind === "s3") {
    s3 = options.staticCredentials
      ? await staticS3Grant(location, access, expiresAt, options)
      : await stsS3Grant(location, contractId, datasetId, access, expiresAt, options);
    value = s3GrantValue(s3);
    kind = "s3-credentials";
    expiry = s3.expiresAt;
  } else {
    throw new UserError(
      "a local dataset needs no access grant",
      "grants are for Azure Blob and S3 locations",
      "UsageError",
    );
  }
  const client = ctx.governance(profile);
  try {
    const existing = await client.app.listAccessGrants(contractId);
    const version = existing.value.find((g) => g.name === name)?.version;
    await client.app.putAccessGrant(contractId, name, {
      value,
      kind,
      expiresAt: expiry,
      ...(version === undefined ? {} : { version }),
    });
  } catch (error) {
    // Nothing half-done: the SAS minted for a grant governance refused stops working. (STS
    // credentials cannot be revoked; nobody holds them but this process, and they expire.)
    if (storage !== undefined && policyId !== undefined) {
      await revokeAzureAccess(storage, policyId).catch(() => undefined);
    }
    throw error;
  } finally {
    client.close();
  }
  // Recorded before anything else can fail, so that `revoke` finds it.
  const latest = ctx.store.readDatasetKey(profile, contractId, datasetId) ?? file;
  latest.grants = {
    ...latest.grants,
    [name]: { kind, access, expiresAt: expiry, ...(policyId ? { policyId } : {}) },
  };
  ctx.store.writeDatasetKey(profile, latest);
  if (options.credentialOut !== undefined) {
    // A new file renamed into place: readable by its owner only, even where a file was before.
    await writeAtomically(options.credentialOut, true, (temporary) =>
      writeFile(temporary, value, { mode: 0o600, flag: "wx" }),
    );
  }
  const view: Granted = {
    contractId,
    datasetId,
    name,
    kind,
    access,
    expiresAt: expiry,
    scopedByServer: s3 === undefined || s3.issuer !== "static",
    // Static keys are the owner's own: nothing about them is shown.
    ...(s3 ? { issuer: s3.issuer } : {}),
    ...(s3 && s3.issuer !== "static" ? { accessKeyId: s3.credentials.accessKeyId } : {}),
    ...(s3 ? { policy: s3.policy } : {}),
  };
  ctx.out.result(
    view,
    `Granted ${access} access to ${contractId}/${datasetId} as '${name}' until ${expiry}` +
      (s3 ? `\n${describeS3Grant(s3)}` : ""),
  );
  return view;
}

/** What an S3 grant's credentials are and what limits them, for people. */
function describeS3Grant(grant: S3AccessGrant): string {
  if (grant.issuer === "static") {
    return (
      `NOT scoped by the server: the credentials you passed are stored as they are, ` +
      `and only the clean room's client checks the expiry.\nAttach this IAM policy to their ` +
      `principal yourself:\n${JSON.stringify(grant.policy, null, 2)}`
    );
  }
  const where = `s3:${grant.location.bucket}${grant.location.prefix ? `/${grant.location.prefix}` : ""}`;
  const actions = grant.access === "read" ? "list and read" : "write";
  const keyId = `access key id ${grant.credentials.accessKeyId}`;
  return `Temporary credentials from STS ${grant.issuer.slice(4)} (${keyId}), scoped by the service to ${actions} ${where} until the expiry.`;
}

/** An StsError as a one-line UserError with its hint and stable code. */
async function sts<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StsError) throw new UserError(error.message, error.hint, error.code);
    throw error;
  }
}

/** The sink's bucket, made by the owner now: the clean room's write grant cannot create it. */
async function createSinkBucket(location: S3Location, caller: S3Credentials): Promise<void> {
  await mapped(async () => {
    const storage = new S3Storage(location, { kind: "s3-static", ...caller });
    try {
      await storage.create();
    } finally {
      storage.close();
    }
  });
}

/** S3 through STS: AssumeRole with --role-arn, GetFederationToken without. */
async function stsS3Grant(
  location: S3Location,
  contractId: string,
  datasetId: string,
  access: GrantAccess,
  expiresAt: Date,
  options: GrantOptions,
): Promise<S3AccessGrant> {
  const action = options.roleArn ? "AssumeRole" : "GetFederationToken";
  // Refused before any call, so nothing is created for a grant STS would not issue.
  await sts(() => stsDurationSeconds(action, expiresAt));
  if (location.endpoint !== undefined && !options.stsEndpoint) {
    throw new UserError(
      `the dataset's S3 endpoint ${location.endpoint} is not AWS, so AWS STS cannot mint credentials for it`,
      "pass --sts-endpoint (the service's STS, e.g. MinIO's at its S3 endpoint), or --static-credentials for a server without STS",
      "NoStsEndpoint",
    );
  }
  const caller: S3Credentials =
    options.accessKeyId && options.secretAccessKey
      ? {
          accessKeyId: options.accessKeyId,
          secretAccessKey: options.secretAccessKey,
          ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
        }
      : await sts(() => defaultAwsCredentials(location));
  if (access === "write") await createSinkBucket(location, caller);
  return sts(() =>
    mintS3Grant({
      location,
      access,
      expiresAt,
      ...(options.roleArn ? { roleArn: options.roleArn } : {}),
      sessionName: stsSessionName(action, contractId, datasetId),
      caller,
      ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}),
    }),
  );
}

/** S3 without STS: the owner's keys as they are (not scoped by the server). */
async function staticS3Grant(
  location: S3Location,
  access: GrantAccess,
  expiresAt: Date,
  options: GrantOptions,
): Promise<S3AccessGrant> {
  if (options.roleArn || options.stsEndpoint) {
    throw new UserError(
      "--static-credentials stores your keys as they are: it takes no --role-arn or --sts-endpoint",
      "drop --static-credentials to mint temporary credentials with STS",
      "UsageError",
    );
  }
  if (!options.accessKeyId || !options.secretAccessKey) {
    throw new UserError(
      "a static S3 grant needs the credentials the clean room will use",
      "pass --access-key-id and --secret-access-key of a principal limited by the printed policy",
      "NoCredentials",
    );
  }
  const keys: S3Credentials = {
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
  };
  if (access === "write") await createSinkBucket(location, keys);
  return mapped(async () => createS3Grant(location, keys, { access, expiresAt }));
}

export interface Revoked {
  contractId: string;
  datasetId: string;
  revoked: string[];
  /** S3: why the credentials themselves may still work for a while. */
  note?: string;
}

/**
 * S3 has no per-credential revocation: STS credentials end at their expiry, and static keys are
 * the owner's to deactivate. `latest` is the latest expiry among the revoked grants.
 */
const s3RevokeNote = (latest: string): string =>
  `S3 credentials cannot be invalidated one by one: a copy of a revoked grant's temporary STS credentials works until its expiry (latest ${latest}); static credentials work until you deactivate that access key`;

export async function runRevoke(
  ctx: Context,
  contractId: string,
  datasetId: string,
  options: CredentialOptions & { grant?: string },
): Promise<Revoked> {
  const profile = ctx.profile();
  const file = ownedDataset(ctx, profile, contractId, datasetId);
  const known = file.grants ?? {};
  const names = options.grant ? [options.grant] : Object.keys(known);
  if (names.length === 0) {
    throw new UserError(
      `dataset ${contractId}/${datasetId} has no grants to revoke`,
      `grant one with \`cleanroom dataset grant ${contractId} ${datasetId} --read --expires 1h\``,
      "NotFound",
    );
  }
  const location = file.document["location"] as DatasetLocation;
  const policies = names.some((name) => known[name]?.policyId !== undefined);
  if (policies && location.kind === "azure-blob") {
    // Checked first, so that nothing is half revoked for want of the key.
    const storage = openLocation(location, options);
    if (!(storage instanceof AzureBlobStorage) || storage.sharedKey === undefined) {
      throw new UserError(
        "revoking an Azure grant needs the storage account key (to delete its stored access policy)",
        "pass --account-key, or set AZURE_STORAGE_CONNECTION_STRING to a connection string with AccountKey",
        "NoCredentials",
      );
    }
  }
  const expiries: string[] = [];
  const client = ctx.governance(profile);
  try {
    const existing = await client.app.listAccessGrants(contractId);
    for (const name of names) {
      const stored = existing.value.find((g) => g.name === name);
      if (stored === undefined && known[name] === undefined) {
        throw new UserError(
          `no access grant named '${name}' in contract ${contractId}`,
          `see this dataset's grants with \`cleanroom dataset show ${contractId} ${datasetId}\``,
          "NotFound",
        );
      }
      if (stored !== undefined)
        await client.app.deleteAccessGrant(contractId, name, stored.version);
      const expiry = known[name]?.expiresAt ?? stored?.expiresAt;
      if (expiry !== undefined) expiries.push(expiry);
      const policyId = known[name]?.policyId;
      if (policyId !== undefined && location.kind === "azure-blob") {
        const storage = openLocation(location, options);
        if (storage instanceof AzureBlobStorage) {
          await mapped(() => revokeAzureAccess(storage, policyId));
        }
      }
      delete known[name];
      file.grants = known;
      ctx.store.writeDatasetKey(profile, file);
    }
  } finally {
    client.close();
  }
  const latest = expiries.sort().at(-1);
  const note = location.kind === "s3" && latest !== undefined ? s3RevokeNote(latest) : undefined;
  const view: Revoked = { contractId, datasetId, revoked: names, ...(note ? { note } : {}) };
  ctx.out.result(
    view,
    `Revoked ${names.map((n) => `'${n}'`).join(", ")} on ${contractId}/${datasetId}` +
      (note ? `\n${note}.` : ""),
  );
  return view;
}

export function datasetGrantCommand(): Command {
  return withCredentialOptions(
    defineCommand("grant", {
      summary: "give the clean room access to the dataset's storage",
      description: `Mints a credential scoped to the dataset's one container or bucket, read (an
        input) or write (an output), valid until --expires, and stores it in governance as an
        access grant: only an attested clean room running an approved query can obtain it.

        Azure: a container SAS under a stored access policy (needs the account key).

        S3: temporary credentials from AWS STS, with the grant's IAM policy (bucket/prefix,
        actions, expiry) as session policy, so AWS enforces the scope. With --role-arn, STS
        AssumeRole (you need sts:AssumeRole on the role; at most 12h, and no longer than the
        role's maximum session duration); without it, GetFederationToken (long-term IAM user
        keys only; at most 36h). Your credentials come from --access-key-id/--secret-access-key
        or the AWS default chain (environment, AWS_PROFILE). Keep grants short: STS credentials
        cannot be revoked before their expiry.

        --static-credentials, for S3-compatible servers without STS only: stores the keys you pass
        as they are. The server does NOT scope them: attach the printed policy to their principal
        yourself.`,
      examples: [
        "cleanroom dataset grant collab sales --read --expires 8h --role-arn arn:aws:iam::123456789012:role/cleanroom-grants",
        "cleanroom dataset grant collab out --write --expires 1h",
        "cleanroom dataset grant collab out --write --expires 1h --static-credentials --access-key-id … --secret-access-key …",
      ],
    }),
  )
    .argument("<contractId>", "the contract")
    .argument("<datasetId>", "the dataset you own")
    .option("--read", "read access (the dataset is a query input)")
    .option("--write", "write access (the dataset is a query output)")
    .requiredOption("--expires <duration>", "how long it is valid: 90s, 30m, 1h, 7d")
    .option("--name <name>", "the grant's name (default <datasetId>-read|write)")
    .option("--credential-out <file>", "also write the credential to this file (mode 0600)")
    .option(
      "--role-arn <arn>",
      "S3: mint with STS AssumeRole on this role (else GetFederationToken)",
    )
    .option(
      "--sts-endpoint <url>",
      "S3: the STS endpoint (S3-compatible services); default AWS STS",
    )
    .addOption(
      new Option(
        "--session-token <token>",
        "S3: session token of temporary caller credentials",
      ).env("AWS_SESSION_TOKEN"),
    )
    .option(
      "--static-credentials",
      "S3 without STS: store --access-key-id/--secret-access-key as they are (NOT scoped by the server)",
    )
    .action(
      async (contractId: string, datasetId: string, options: GrantOptions, command: Command) => {
        await runGrant(contextOf(command), contractId, datasetId, options);
      },
    );
}

export function datasetRevokeCommand(): Command {
  return withCredentialOptions(
    defineCommand("revoke", {
      summary: "revoke the dataset's access grants",
      description: `Deletes the dataset's access grants from governance (all of them, or the one
        named by --grant), so no clean room can obtain them any more. On Azure it also deletes the
        stored access policy behind each SAS, so the SAS stops working at once (needs the account
        key). S3 credentials cannot be invalidated one by one: temporary STS credentials already
        obtained work until their expiry, and static keys until you deactivate them.`,
      examples: [
        "cleanroom dataset revoke collab sales",
        "cleanroom dataset revoke collab sales --grant sales-read --json",
      ],
    }),
  )
    .argument("<contractId>", "the contract")
    .argument("<datasetId>", "the dataset you own")
    .option("--grant <name>", "revoke only this grant")
    .action(
      async (
        contractId: string,
        datasetId: string,
        options: CredentialOptions & { grant?: string },
        command: Command,
      ) => {
        await runRevoke(contextOf(command), contractId, datasetId, options);
      },
    );
}
