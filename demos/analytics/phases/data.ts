// Phase 3: each owner prepares its data on its own machine — generated here, deterministic — then
// plans the dataset (schema, allowed fields, where it lives), encrypts it with a key only it holds,
// uploads the ciphertext to its own storage (northwind: Azure Blob; woodgrove: S3), publishes the
// dataset document and grants the clean room access to the storage (read for inputs, write for
// woodgrove's output). The two owners work at the same time, as two companies would.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  generate,
  writeCsv,
  type AudienceRow,
  type CustomerRow,
  type DataSizes,
  type DemoData,
} from "../data.js";
import type { PersonaCli } from "../cli.js";
import { count, type Persona } from "../journal.js";
import { CONTRACT, REGION, type World } from "../world.js";

export const AUDIENCE = "northwind-audience";
export const CUSTOMERS = "woodgrove-customers";
export const OUTPUT = "woodgrove-output";
/** Woodgrove's bucket: its customers under customers/, the clean room's output under output/. */
const WOODGROVE_BUCKET = "woodgrove-data";

const AUDIENCE_COLUMNS = ["email_hash", "segment", "age_band", "device_id"] as const;
const CUSTOMER_COLUMNS = ["email_hash", "loyalty_tier", "lifetime_value", "email"] as const;

/** What one owner publishes: its dataset's plan and the plaintext it encrypts. */
interface Publication {
  persona: "northwind" | "woodgrove";
  datasetId: string;
  schema: string;
  allowedFields: string;
  location: string[];
  /** Where the ciphertext goes, for people. */
  storage: string;
  /** Extra `dataset grant` flags (s3rver has no STS: woodgrove grants its static keys). */
  grantFlags?: string[];
  write: (file: string) => Promise<number>;
  rows: number;
}

async function publish(world: World, p: Publication): Promise<void> {
  const { journal } = world;
  const cli: PersonaCli = world[p.persona];
  const who: Persona = p.persona;
  const plain = join(world.folder(p.persona), "plain", p.datasetId);
  const encrypted = join(world.folder(p.persona), "encrypted", p.datasetId);
  mkdirSync(plain, { recursive: true });
  const bytes = await journal.step(
    who,
    `write ${count(p.rows)} rows to ${p.datasetId}/part-0.csv`,
    () => p.write(join(plain, "part-0.csv")),
    (n) => `${count(n)} bytes`,
  );
  await journal.step(who, `dataset create ${p.datasetId} (allowed: ${p.allowedFields})`, () =>
    cli.json([
      "dataset",
      "create",
      CONTRACT,
      p.datasetId,
      "--schema",
      p.schema,
      "--allowed-fields",
      p.allowedFields,
      "--format",
      "csv",
      ...p.location,
    ]),
  );
  const sealed = await journal.step(
    who,
    `dataset encrypt ${p.datasetId} (${count(p.rows)} rows)`,
    () =>
      cli.json<{ files: number; bytes: number }>([
        "dataset",
        "encrypt",
        CONTRACT,
        p.datasetId,
        "--in",
        plain,
        "--out",
        encrypted,
      ]),
  );
  journal.check(
    `${p.datasetId} encrypted`,
    sealed.files === 1 && sealed.bytes === bytes,
    `${count(p.rows)} rows, ${count(sealed.bytes)} bytes of plaintext in ${sealed.files} file`,
  );
  const uploaded = await journal.step(
    who,
    `dataset upload ${p.datasetId}`,
    () =>
      cli.json<{ objects: string[] }>([
        "dataset",
        "upload",
        CONTRACT,
        p.datasetId,
        "--in",
        encrypted,
      ]),
    (u) => u.objects.join(", "),
  );
  journal.check(
    `${p.datasetId} uploaded`,
    uploaded.objects.length === 1 && uploaded.objects[0] === "part-0.csv",
    `object part-0.csv in ${p.storage}`,
  );
  await journal.step(
    who,
    `dataset publish ${p.datasetId}`,
    () => cli.json<{ revision: number }>(["dataset", "publish", CONTRACT, p.datasetId]),
    (r) => `revision ${r.revision}`,
  );
  await journal.step(who, `dataset grant ${p.datasetId} --read`, () =>
    cli.json([
      ...["dataset", "grant", CONTRACT, p.datasetId, "--read", "--expires", "1h"],
      ...(p.grantFlags ?? []),
    ]),
  );
}

/**
 * Woodgrove's output dataset: planned and published, nothing uploaded; the clean room writes it
 * into woodgrove's bucket (made by the customers' upload) under output/.
 */
async function publishSink(world: World): Promise<void> {
  const { journal, woodgrove, s3 } = world;
  await journal.step(
    "woodgrove",
    `dataset create ${OUTPUT} (the query's output, encrypted for woodgrove)`,
    () =>
      woodgrove.json([
        "dataset",
        "create",
        CONTRACT,
        OUTPUT,
        "--schema",
        "segment:string,customers:long,avg_lifetime_value:double",
        "--format",
        "csv",
        "--location",
        `s3:${WOODGROVE_BUCKET}/output`,
        "--s3-endpoint",
        s3.endpoint,
        "--region",
        REGION,
      ]),
  );
  await journal.step("woodgrove", `dataset publish ${OUTPUT}`, () =>
    woodgrove.json(["dataset", "publish", CONTRACT, OUTPUT]),
  );
  await journal.step("woodgrove", `dataset grant ${OUTPUT} --write`, () =>
    woodgrove.json([
      ...["dataset", "grant", CONTRACT, OUTPUT, "--write", "--expires", "1h"],
      "--static-credentials",
    ]),
  );
}

export async function publishData(world: World, seed: number, sizes: DataSizes): Promise<DemoData> {
  const { journal, azurite, s3 } = world;
  const data = await journal.step(
    "demo",
    `generate synthetic data (seed ${seed})`,
    async () => generate(seed, sizes),
    () =>
      `${count(sizes.audience)} audience rows, ${count(sizes.customers)} customers, ` +
      `${count(sizes.overlap)} people in both`,
  );
  await Promise.all([
    publish(world, {
      persona: "northwind",
      datasetId: AUDIENCE,
      schema: "email_hash:string,segment:string,age_band:string,device_id:string",
      allowedFields: "email_hash,segment,age_band",
      location: ["--location", `azure:${azurite.accountUrl}/${AUDIENCE}`],
      storage: `Azure Blob (Azurite) container ${AUDIENCE}`,
      rows: data.audience.length,
      write: (file) => writeCsv<AudienceRow>(file, AUDIENCE_COLUMNS, data.audience),
    }),
    (async () => {
      await publish(world, {
        persona: "woodgrove",
        datasetId: CUSTOMERS,
        schema: "email_hash:string,loyalty_tier:string,lifetime_value:double,email:string",
        allowedFields: "email_hash,loyalty_tier,lifetime_value",
        location: [
          "--location",
          `s3:${WOODGROVE_BUCKET}/customers`,
          "--s3-endpoint",
          s3.endpoint,
          "--region",
          REGION,
        ],
        storage: `S3 (s3rver) bucket ${WOODGROVE_BUCKET}, prefix customers/`,
        grantFlags: ["--static-credentials"],
        rows: data.customers.length,
        write: (file) => writeCsv<CustomerRow>(file, CUSTOMER_COLUMNS, data.customers),
      });
      await publishSink(world);
    })(),
  ]);
  return data;
}
