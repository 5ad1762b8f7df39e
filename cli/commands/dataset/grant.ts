/**
 * `cleanroom dataset grant` and `revoke`: a credential for the clean room scoped to the dataset's
 * container or bucket, read or write, with an expiry, stored in governance as an access grant.
 */
import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import type { DatasetLocation } from "../../../contracts/src/dataset.js";
import {
  AzureBlobStorage,
  createS3Grant,
  grantAzureAccess,
  grantName,
  revokeAzureAccess,
  s3GrantValue,
  type GrantAccess,
  type IamPolicyDocument,
} from "../../../client/storage/index.js";
import type { GrantKind } from "../../../client/governance/index.js";
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
}

export interface Granted {
  contractId: string;
  datasetId: string;
  name: string;
  kind: GrantKind;
  access: GrantAccess;
  expiresAt: string;
  /** S3: the IAM policy the owner attaches to the credentials' principal. */
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
  const expiresAt = new Date(Date.now() + parseDuration(options.expires));
  const name = options.name ?? grantName(datasetId, access);
  const location = file.document["location"] as DatasetLocation;
  let value: string;
  let kind: GrantKind;
  let policyId: string | undefined;
  let policy: IamPolicyDocument | undefined;
  let expiry: string;
  let storage: AzureBlobStorage | undefined;
  if (location.kind === "azure-blob") {
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
    if (!options.accessKeyId || !options.secretAccessKey) {
      throw new UserError(
        "an S3 grant needs the credentials the clean room will use",
        "pass --access-key-id and --secret-access-key of a principal limited by the printed policy",
        "NoCredentials",
      );
    }
    if (access === "write") await mapped(() => openLocation(location, options).create());
    const grant = await mapped(async () =>
      createS3Grant(
        location,
        { accessKeyId: options.accessKeyId!, secretAccessKey: options.secretAccessKey! },
        { access, expiresAt },
      ),
    );
    value = s3GrantValue(grant);
    kind = "s3-credentials";
    policy = grant.policy;
    expiry = grant.expiresAt;
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
    // Nothing half-done: the SAS minted for a grant governance refused stops working.
    if (storage !== undefined && policyId !== undefined) {
      await revokeAzureAccess(storage, policyId).catch(() => undefined);
    }
    throw error;
  } finally {
    client.close();
  }
  if (options.credentialOut) {
    writeFileSync(options.credentialOut, value, { mode: 0o600 });
  }
  const latest = ctx.store.readDatasetKey(profile, contractId, datasetId) ?? file;
  latest.grants = {
    ...latest.grants,
    [name]: { kind, access, expiresAt: expiry, ...(policyId ? { policyId } : {}) },
  };
  ctx.store.writeDatasetKey(profile, latest);
  const view: Granted = {
    contractId,
    datasetId,
    name,
    kind,
    access,
    expiresAt: expiry,
    ...(policy ? { policy } : {}),
  };
  ctx.out.result(
    view,
    `Granted ${access} access to ${contractId}/${datasetId} as '${name}' until ${expiry}` +
      (policy
        ? `\nAttach this IAM policy to the credentials' principal:\n${JSON.stringify(policy, null, 2)}`
        : ""),
  );
  return view;
}

export interface Revoked {
  contractId: string;
  datasetId: string;
  revoked: string[];
}

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
  const view: Revoked = { contractId, datasetId, revoked: names };
  ctx.out.result(
    view,
    `Revoked ${names.map((n) => `'${n}'`).join(", ")} on ${contractId}/${datasetId}`,
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
        Azure: a container SAS under a stored access policy (needs the account key). S3: the
        credentials you pass, with the IAM policy (printed) to attach to their principal.`,
      examples: [
        "cleanroom dataset grant collab sales --read --expires 24h",
        "cleanroom dataset grant collab out --write --expires 1h --access-key-id AKIA… --secret-access-key …",
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
        named by --grant). On Azure it also deletes the stored access policy behind each SAS, so
        the SAS stops working at once (needs the account key).`,
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
