/** `cleanroom dataset upload` and `download`: the encrypted files to and from the dataset's storage. */
import type { Command } from "commander";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, join, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { DatasetLocation } from "../../../contracts/src/dataset.js";
import { bindingOf, checkEncryptedFile, listFiles } from "../../../client/format/index.js";
import { writeAtomically } from "../../../client/temporary.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import type { Progress } from "../../output.js";
import type { DatasetKeyFile } from "../../profile/store.js";
import { UserError } from "../../errors.js";
import {
  checkId,
  datasetDek,
  describeLocation,
  isFolder,
  mapped,
  openLocation,
  withCredentialOptions,
  type CredentialOptions,
} from "./common.js";

export interface Transferred {
  contractId: string;
  datasetId: string;
  location: DatasetLocation;
  objects: string[];
  bytes: number;
}

/**
 * The dataset's location: from the owner's profile (with the owner's key file), else from its
 * published document.
 */
async function locate(
  ctx: Context,
  contractId: string,
  datasetId: string,
): Promise<{ location: DatasetLocation; keyFile?: DatasetKeyFile }> {
  checkId(contractId, "contract id");
  checkId(datasetId, "dataset id");
  const profile = ctx.profile();
  const keyFile = ctx.store.readDatasetKey(profile, contractId, datasetId);
  if (keyFile !== undefined) {
    return { location: keyFile.document["location"] as DatasetLocation, keyFile };
  }
  const client = ctx.governance(profile);
  try {
    return { location: (await client.app.dataset(contractId, datasetId)).document.location };
  } finally {
    client.close();
  }
}

export async function runUpload(
  ctx: Context,
  contractId: string,
  datasetId: string,
  options: CredentialOptions & { in: string },
): Promise<Transferred> {
  const { location, keyFile } = await locate(ctx, contractId, datasetId);
  const storage = openLocation(location, options);
  const folder = await isFolder(options.in, "input");
  const files = folder
    ? (await listFiles(options.in)).map((f) => ({
        name: f.path.split(sep).join("/"),
        path: join(options.in, f.path),
        bytes: f.bytes,
      }))
    : [{ name: basename(options.in), path: options.in, bytes: (await stat(options.in)).size }];
  // Every file must be this dataset's ciphertext before anything is uploaded: plaintext or
  // another dataset's files must never land in its storage. The owner checks the header's tag.
  const key =
    keyFile === undefined
      ? undefined
      : { dek: await datasetDek(keyFile), binding: bindingOf(contractId, datasetId) };
  await mapped(async () => {
    for (const file of files) await checkEncryptedFile(file.path, key);
  });
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  const progress = ctx.out.progress({ label: "upload", total, unit: "bytes" });
  let before = 0;
  try {
    await mapped(async () => {
      await storage.create();
      // Each object replaces the previous one only once complete: re-running is safe.
      for (const file of files) {
        await storage.put(file.name, createReadStream(file.path), {
          size: file.bytes,
          onProgress: (done) => progress.update(before + done),
        });
        before += file.bytes;
        progress.update(before);
      }
    });
  } finally {
    progress.done();
  }
  const view: Transferred = {
    contractId,
    datasetId,
    location,
    objects: files.map((f) => f.name),
    bytes: total,
  };
  ctx.out.result(
    view,
    `Uploaded ${files.length} object${files.length === 1 ? "" : "s"} (${total} bytes) to ${describeLocation(location)}`,
  );
  return view;
}

export async function runDownload(
  ctx: Context,
  contractId: string,
  datasetId: string,
  options: CredentialOptions & { out: string },
): Promise<Transferred> {
  const { location } = await locate(ctx, contractId, datasetId);
  const storage = openLocation(location, options);
  let progress: Progress | undefined;
  let bytes = 0;
  const names: string[] = [];
  try {
    await mapped(async () => {
      const objects = await storage.list();
      if (objects.length === 0) {
        throw new UserError(
          `no objects at ${describeLocation(location)}`,
          `upload them first with \`cleanroom dataset upload ${contractId} ${datasetId} --in …\``,
          "NotFound",
        );
      }
      const total = objects.reduce((sum, object) => sum + object.size, 0);
      const bar = ctx.out.progress({ label: "download", total, unit: "bytes" });
      progress = bar;
      for (const object of objects) {
        const parts = object.name.split("/");
        if (parts.some((part) => part === "" || part === "." || part === "..")) {
          throw new UserError(
            `the storage lists an object with an unsafe name ${JSON.stringify(object.name)}`,
            "check who else writes to this location",
            "InvalidLocation",
          );
        }
        const target = join(options.out, ...parts);
        await writeAtomically(target, false, async (temporary) => {
          const source = await storage.get(object.name);
          source.on("data", (chunk: Buffer) => bar.update((bytes += chunk.length)));
          await pipeline(source, createWriteStream(temporary, { flags: "wx" }));
        });
        names.push(object.name);
      }
    });
  } finally {
    progress?.done();
  }
  const view: Transferred = { contractId, datasetId, location, objects: names, bytes };
  ctx.out.result(
    view,
    `Downloaded ${names.length} object${names.length === 1 ? "" : "s"} (${bytes} bytes) into ${options.out}`,
  );
  return view;
}

const CREDENTIALS_HELP = `Storage credentials come from flags or the environment: Azure
  AZURE_STORAGE_CONNECTION_STRING, --account-key or --sas; S3 AWS_ACCESS_KEY_ID and
  AWS_SECRET_ACCESS_KEY (or the flags).`;

export function datasetUploadCommand(): Command {
  return withCredentialOptions(
    defineCommand("upload", {
      summary: "upload encrypted files to the dataset's storage",
      description: `Uploads an encrypted file, or every file under an encrypted folder (keeping
        relative paths as object names), to the dataset's location (a local folder, an Azure
        Blob container or an S3 bucket, created if missing). Each object becomes visible only
        when complete, so re-running an interrupted upload is safe. ${CREDENTIALS_HELP}`,
      examples: [
        "cleanroom dataset upload collab sales --in ./sales.enc",
        "AZURE_STORAGE_CONNECTION_STRING=… cleanroom dataset upload collab sales --in ./sales.enc --json",
      ],
    }),
  )
    .argument("<contractId>", "the contract")
    .argument("<datasetId>", "the dataset")
    .requiredOption("--in <path>", "encrypted file or folder (from `dataset encrypt`)")
    .action(
      async (
        contractId: string,
        datasetId: string,
        options: CredentialOptions & { in: string },
        command: Command,
      ) => {
        await runUpload(contextOf(command), contractId, datasetId, options);
      },
    );
}

export function datasetDownloadCommand(): Command {
  return withCredentialOptions(
    defineCommand("download", {
      summary: "download the dataset's encrypted files",
      description: `Downloads every object at the dataset's location into the --out folder
        (still encrypted: decrypt with \`cleanroom dataset decrypt\`). Each file appears only
        when complete. ${CREDENTIALS_HELP}`,
      examples: [
        "cleanroom dataset download collab sales --out ./sales.enc",
        "cleanroom dataset download collab sales --out ./sales.enc && cleanroom dataset decrypt collab sales --in ./sales.enc --out ./sales",
      ],
    }),
  )
    .argument("<contractId>", "the contract")
    .argument("<datasetId>", "the dataset")
    .requiredOption("--out <folder>", "where to write the encrypted files")
    .action(
      async (
        contractId: string,
        datasetId: string,
        options: CredentialOptions & { out: string },
        command: Command,
      ) => {
        await runDownload(contextOf(command), contractId, datasetId, options);
      },
    );
}
