/** `cleanroom dataset encrypt` and `decrypt`: a file or a folder, with the owner's key. */
import type { Command } from "commander";
import {
  bindingOf,
  decryptFile,
  decryptFolder,
  encryptFile,
  encryptFolder,
} from "../../../client/format/index.js";
import { contextOf, defineCommand, integer } from "../../command.js";
import type { Context } from "../../context.js";
import type { Progress } from "../../output.js";
import { datasetDek, isFolder, mapped, ownedDataset } from "./common.js";

export interface TransformOptions {
  in: string;
  out: string;
  threads?: number;
}

export interface Transformed {
  contractId: string;
  datasetId: string;
  in: string;
  out: string;
  files: number;
  bytes: number;
}

export async function runTransform(
  ctx: Context,
  direction: "encrypt" | "decrypt",
  contractId: string,
  datasetId: string,
  options: TransformOptions,
): Promise<Transformed> {
  const file = ownedDataset(ctx, ctx.profile(), contractId, datasetId);
  const dek = await datasetDek(file);
  const folder = await isFolder(options.in, "input");
  // The bar starts with the first report, which brings the total.
  let progress: Progress | undefined;
  const onProgress = (done: number, total: number) => {
    bytes = total;
    progress ??= ctx.out.progress({ label: direction, total, unit: "bytes" });
    progress.update(done);
  };
  const fileOptions = {
    binding: bindingOf(contractId, datasetId),
    onProgress,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  };
  let files = 1;
  let bytes = 0;
  try {
    await mapped(async () => {
      if (folder) {
        const entries =
          direction === "encrypt"
            ? await encryptFolder(dek, options.in, options.out, fileOptions)
            : await decryptFolder(dek, options.in, options.out, fileOptions);
        files = entries.length;
        bytes = entries.reduce((sum, entry) => sum + entry.bytes, 0);
      } else if (direction === "encrypt") {
        await encryptFile(dek, options.in, options.out, fileOptions);
      } else {
        await decryptFile(dek, options.in, options.out, fileOptions);
      }
    });
  } finally {
    progress?.done();
  }
  const view: Transformed = {
    contractId,
    datasetId,
    in: options.in,
    out: options.out,
    files,
    bytes,
  };
  ctx.out.result(
    view,
    `${direction === "encrypt" ? "Encrypted" : "Decrypted"} ${files} file${files === 1 ? "" : "s"} (${bytes} bytes) into ${options.out}`,
  );
  return view;
}

function transformCommand(direction: "encrypt" | "decrypt"): Command {
  const encrypt = direction === "encrypt";
  return defineCommand(direction, {
    summary: encrypt
      ? "encrypt a file or folder with the dataset's key"
      : "decrypt and verify a file or folder with the dataset's key",
    description: encrypt
      ? `Encrypts --in (a file, or every file under a folder, keeping relative paths) into --out
        with the dataset's key (from your profile, or the Key Vault secret it names), in the chunked AES-256-GCM format bound to the
        contract and dataset ids. Each output appears only when complete.`
      : `Decrypts --in (a file, or every file under a folder) into --out with the dataset's key
        (from your profile, or the Key Vault secret it names), verifying every chunk. A wrong key, a changed byte, a truncated or
        extended file is refused and leaves no output file behind.`,
    examples: [
      `cleanroom dataset ${direction} collab sales --in ${encrypt ? "./sales" : "./sales.enc"} --out ${encrypt ? "./sales.enc" : "./sales"}`,
      `cleanroom dataset ${direction} collab sales --in ${encrypt ? "sales.csv" : "sales.csv.enc"} --out ${encrypt ? "sales.csv.enc" : "sales.csv"} --json`,
    ],
  })
    .argument("<contractId>", "the contract")
    .argument("<datasetId>", "the dataset (you own it: its key is in your profile)")
    .requiredOption(
      "--in <path>",
      encrypt ? "plaintext file or folder" : "encrypted file or folder",
    )
    .requiredOption(
      "--out <path>",
      encrypt ? "encrypted file or folder" : "plaintext file or folder",
    )
    .option(
      "--threads <n>",
      "threads per file (default: one per CPU, up to 4, for files of 64 MiB or more; smaller " +
        "files use one); 1 keeps to one thread",
      integer(1, 64),
    )
    .action(
      async (
        contractId: string,
        datasetId: string,
        options: TransformOptions,
        command: Command,
      ) => {
        await runTransform(contextOf(command), direction, contractId, datasetId, options);
      },
    );
}

export const datasetEncryptCommand = (): Command => transformCommand("encrypt");
export const datasetDecryptCommand = (): Command => transformCommand("decrypt");
