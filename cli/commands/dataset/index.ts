import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { datasetCreateCommand } from "./create.js";
import { datasetDecryptCommand, datasetEncryptCommand } from "./encrypt.js";
import { datasetGrantCommand, datasetRevokeCommand } from "./grant.js";
import { datasetListCommand, datasetShowCommand } from "./list.js";
import { datasetPublishCommand } from "./publish.js";
import { datasetDownloadCommand, datasetUploadCommand } from "./upload.js";

export function datasetCommand(): Command {
  return defineGroup(
    "dataset",
    "owners: encrypt, upload, publish and grant access to datasets",
    `A dataset is data you own, encrypted on your machine with its own key, stored where you
    choose (a local folder, Azure Blob or S3) and published to a contract. Typical order: create,
    encrypt, upload, publish, grant.`,
  )
    .addCommand(datasetCreateCommand())
    .addCommand(datasetEncryptCommand())
    .addCommand(datasetUploadCommand())
    .addCommand(datasetPublishCommand())
    .addCommand(datasetListCommand())
    .addCommand(datasetShowCommand())
    .addCommand(datasetDownloadCommand())
    .addCommand(datasetDecryptCommand())
    .addCommand(datasetGrantCommand())
    .addCommand(datasetRevokeCommand());
}
