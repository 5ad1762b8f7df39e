/**
 * `cleanroom dataset create`: plans a dataset and generates its key, kept in the owner's profile
 * or, with `--key-vault`, as an Azure Key Vault secret the profile only points to.
 */
import type { Command } from "commander";
import {
  FIELD_TYPES,
  validateDatasetDocument,
  type DatasetDocument,
  type DatasetField,
  type DatasetLocation,
} from "../../../contracts/src/dataset.js";
import { base64Encode } from "../../../contracts/src/encoding.js";
import { generateDek } from "../../../client/format/index.js";
import { deleteDekSecret, parseVaultUrl, storeDek } from "../../../client/keyvault.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { readDocument } from "../../documents.js";
import { UserError } from "../../errors.js";
import type { DatasetKeyFile, Profile } from "../../profile/store.js";
import {
  checkId,
  describeCustody,
  describeLocation,
  keyCustody,
  mapped,
  parseLocation,
  type KeyCustody,
} from "./common.js";

export interface CreateDatasetOptions {
  /** The whole planned document, YAML or JSON (instead of the flags below). */
  file?: string;
  schema?: string;
  allowedFields?: string;
  location?: string;
  s3Endpoint?: string;
  region?: string;
  format?: string;
  description?: string;
  /** Keep the DEK in this Azure Key Vault (its URL) instead of the profile. */
  keyVault?: string;
}

export interface DatasetCreated {
  contractId: string;
  datasetId: string;
  location: DatasetLocation;
  schema: DatasetField[];
  allowedFields: string[];
  format: string;
  keyFile: string;
  /** Where the DEK is kept (never the DEK). */
  keyCustody: KeyCustody;
}

function parseSchema(text: string): DatasetField[] {
  return text
    .split(",")
    .filter((part) => part.trim() !== "")
    .map((part) => {
      const [name, type, extra] = part.trim().split(":");
      if (!name || !type || extra !== undefined) {
        throw new UserError(
          `invalid schema field '${part.trim()}'`,
          `write --schema name:type,… with types ${FIELD_TYPES.join(", ")}`,
          "InvalidSchema",
        );
      }
      return { name, type } as DatasetField;
    });
}

/** A placeholder key reference so the planned document can be checked before publication. */
const PLANNED_ENCRYPTION = { wrappedDek: base64Encode(new Uint8Array(256)), kekId: "planned" };

/** The planned document (no key reference yet) from the flags. */
function plannedFromFlags(options: CreateDatasetOptions): Record<string, unknown> {
  if (options.schema === undefined || options.location === undefined) {
    throw new UserError(
      "a dataset needs --schema and --location, or --file with its document",
      "e.g. --schema id:string,amount:double --location local:/data/enc/sales, or --file contracts/templates/dataset.yaml",
      "UsageError",
    );
  }
  const schema = parseSchema(options.schema);
  const allowedFields = options.allowedFields
    ? options.allowedFields.split(",").map((f) => f.trim())
    : schema.map((f) => f.name);
  const s3 = {
    ...(options.s3Endpoint ? { endpoint: options.s3Endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
  };
  return {
    ...(options.description ? { description: options.description } : {}),
    schema,
    allowedFields,
    location: parseLocation(options.location, s3),
    format: options.format ?? "csv",
  };
}

/** The planned document from a YAML or JSON file; the key reference comes at publication. */
function plannedFromFile(file: string, options: CreateDatasetOptions): Record<string, unknown> {
  const flags = [
    options.schema,
    options.allowedFields,
    options.location,
    options.s3Endpoint,
    options.region,
    options.format,
    options.description,
  ];
  if (flags.some((flag) => flag !== undefined)) {
    throw new UserError(
      "--file and the document options (--schema, --location, …) go separately",
      "put everything in the file, or leave --file out",
      "UsageError",
    );
  }
  const document = readDocument(file, {
    what: "dataset",
    code: "InvalidDataset",
    option: "--file",
  });
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new UserError(
      `${file} is not a dataset document`,
      "see contracts/templates/dataset.yaml",
      "InvalidDataset",
    );
  }
  if ("encryption" in document) {
    throw new UserError(
      `${file} has an encryption field`,
      "leave it out: `cleanroom dataset publish` adds the wrapped key",
      "InvalidDataset",
    );
  }
  return { format: "csv", ...document };
}

/**
 * Writes the key file with a new DEK: in it, or in Key Vault with only the reference in it. A
 * secret stored for a key file that could not be written is deleted again (best effort).
 */
async function writeNewKey(
  ctx: Context,
  profile: Profile,
  file: Omit<DatasetKeyFile, "dek" | "keyVault">,
  vaultUrl: string | undefined,
): Promise<DatasetKeyFile> {
  const dek = generateDek();
  try {
    if (vaultUrl === undefined) {
      const keyFile = { ...file, dek: base64Encode(dek) };
      ctx.store.writeDatasetKey(profile, keyFile);
      return keyFile;
    }
    const ref = await mapped(() => storeDek(vaultUrl, dek, file));
    const keyFile = { ...file, keyVault: ref };
    try {
      ctx.store.writeDatasetKey(profile, keyFile);
    } catch (error) {
      await deleteDekSecret(ref).catch(() => undefined);
      throw error;
    }
    return keyFile;
  } finally {
    dek.fill(0);
  }
}

export async function runCreateDataset(
  ctx: Context,
  contractId: string,
  datasetId: string,
  options: CreateDatasetOptions,
): Promise<DatasetCreated> {
  checkId(contractId, "contract id");
  checkId(datasetId, "dataset id");
  const keyVault = options.keyVault;
  const vaultUrl =
    keyVault === undefined ? undefined : await mapped(async () => parseVaultUrl(keyVault));
  const profile = ctx.profile();
  if (ctx.store.readDatasetKey(profile, contractId, datasetId) !== undefined) {
    throw new UserError(
      `dataset ${contractId}/${datasetId} already exists in profile '${profile.name}'`,
      `see it with \`cleanroom dataset show ${contractId} ${datasetId}\`; creating it again would replace its key`,
      "DatasetExists",
    );
  }
  const document =
    options.file !== undefined ? plannedFromFile(options.file, options) : plannedFromFlags(options);
  const problems = validateDatasetDocument({ ...document, encryption: PLANNED_ENCRYPTION });
  if (problems.length > 0) {
    throw new UserError(
      `invalid dataset: ${problems.join("; ")}`,
      options.file !== undefined
        ? `fix ${options.file}`
        : "fix --schema, --allowed-fields, --location or --format",
      "InvalidDataset",
    );
  }
  const { schema, allowedFields, location, format } = document as unknown as Omit<
    DatasetDocument,
    "encryption"
  >;
  const file = await writeNewKey(
    ctx,
    profile,
    { contractId, datasetId, document, createdAt: new Date().toISOString() },
    vaultUrl,
  );
  const view: DatasetCreated = {
    contractId,
    datasetId,
    location,
    schema,
    allowedFields,
    format,
    keyFile: ctx.store.datasetKeyPath(profile, contractId, datasetId),
    keyCustody: keyCustody(file),
  };
  const where =
    view.keyCustody.kind === "profile"
      ? `its key is in ${view.keyFile}`
      : `its key is in ${describeCustody(view.keyCustody)} (${view.keyFile} keeps only that reference)`;
  ctx.out.result(
    view,
    `Created dataset ${contractId}/${datasetId} at ${describeLocation(location)}; ${where}\n` +
      `Next: cleanroom dataset encrypt ${contractId} ${datasetId} --in <data> --out <encrypted>`,
  );
  return view;
}

export function datasetCreateCommand(): Command {
  return defineCommand("create", {
    summary: "plan a dataset and generate its encryption key",
    description: `Records a dataset you own for a contract: its schema, the fields queries may
      read, where its encrypted files will live and their format. Generates the dataset's random
      256-bit data encryption key (DEK) and keeps it in your profile (mode 0600); it is never
      printed. Nothing is sent to the consortium until \`cleanroom dataset publish\`.

      With --key-vault <url>, the DEK is stored instead as a secret in that Azure Key Vault (named
      after the contract and dataset, tagged with their ids), and your profile keeps only the
      vault, the secret's name and its version; every command that needs the key fetches that
      version. The Azure credential is found as DefaultAzureCredential finds it: the environment
      (AZURE_TENANT_ID, AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or a certificate), a workload or
      managed identity, then \`az login\` (AZURE_TOKEN_CREDENTIALS narrows the chain, e.g. to
      ManagedIdentityCredential). Storing needs the 'Key Vault Secrets Officer' role (or
      the secret permission 'set'); reading it later, 'Key Vault Secrets User' (or 'get').

      Give the dataset with flags, or its whole document (schema, allowedFields, location,
      format, and what only a document says: partitioning, labels) as a YAML or JSON file with
      --file; start from contracts/templates/dataset.yaml.`,
    examples: [
      "cleanroom dataset create collab sales --file contracts/templates/dataset.yaml",
      "cleanroom dataset create collab sales --schema id:string,amount:double --allowed-fields id,amount --location local:/data/enc/sales --format csv",
      "cleanroom dataset create collab sales --schema id:string --location azure:https://acct.blob.core.windows.net/sales",
      "cleanroom dataset create collab sales --schema id:string --location s3:my-bucket/sales --region eu-west-1",
      "cleanroom dataset create collab sales --file dataset.yaml --key-vault https://contoso-keys.vault.azure.net",
    ],
  })
    .argument("<contractId>", "the contract the dataset belongs to")
    .argument("<datasetId>", "the dataset's id in the contract")
    .option(
      "--file <dataset.yaml>",
      "the dataset document without its key (YAML, or JSON if it ends in .json)",
    )
    .option("--schema <fields>", `columns as name:type,… (${FIELD_TYPES.join(", ")})`)
    .option("--allowed-fields <names>", "the fields queries may read (default: all)")
    .option(
      "--location <where>",
      "local:<path> | azure:<accountUrl>/<container>[/prefix] | s3:<bucket>[/prefix]",
    )
    .option("--s3-endpoint <url>", "an S3-compatible endpoint (default: AWS)")
    .option("--region <region>", "the S3 region")
    .option("--format <format>", "csv or parquet (default: csv)")
    .option("--description <text>", "a line describing the dataset")
    .option(
      "--key-vault <url>",
      "keep the DEK in this Azure Key Vault (https://<name>.vault.azure.net), not the profile",
    )
    .action(
      async (
        contractId: string,
        datasetId: string,
        options: CreateDatasetOptions,
        command: Command,
      ) => {
        await runCreateDataset(contextOf(command), contractId, datasetId, options);
      },
    );
}
