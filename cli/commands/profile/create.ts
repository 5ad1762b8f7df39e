/** `cleanroom profile create`: a new persona with its own key and certificate. */
import { Option, type Command } from "commander";
import { readFileSync } from "node:fs";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import type { IdentityKind } from "../../profile/store.js";
import { describeProfile, profileView, type ProfileView } from "./view.js";

export interface CreateProfileOptions {
  kind?: IdentityKind;
  endpoint?: string;
  serviceCert?: string;
}

export function checkEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(
      `'${url}' is not a URL`,
      "pass the consortium's address, e.g. --endpoint https://127.0.0.1:8000",
      "InvalidEndpoint",
    );
  }
  if (parsed.protocol !== "https:") {
    throw new UserError(
      `the endpoint must be an https:// URL, not '${url}'`,
      "CCF services only speak HTTPS",
      "InvalidEndpoint",
    );
  }
  return parsed.origin;
}

export function readServiceCert(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError(
      `cannot read the service certificate ${path} (${(error as { code?: string }).code ?? "error"})`,
      "pass the service_cert.pem the operator gave you",
      "InvalidServiceCert",
    );
  }
}

export async function runCreateProfile(
  ctx: Context,
  name: string,
  options: CreateProfileOptions,
): Promise<ProfileView> {
  if ((options.endpoint === undefined) !== (options.serviceCert === undefined)) {
    throw new UserError(
      "--endpoint and --service-cert go together",
      "pass both: the consortium's URL and its service certificate, which pins it",
      "UsageError",
    );
  }
  const endpoint = options.endpoint !== undefined ? checkEndpoint(options.endpoint) : undefined;
  const serviceCertPem =
    options.serviceCert !== undefined ? readServiceCert(options.serviceCert) : undefined;
  const profile = await ctx.store.create(name, { kind: options.kind, endpoint, serviceCertPem });
  const madeCurrent = ctx.store.currentName() === undefined;
  if (madeCurrent) ctx.store.setCurrent(name);
  const view = profileView(ctx, profile);
  ctx.out.result(
    view,
    [
      `Created profile ${ctx.out.style.bold(name)} with a new EC P-384 key.`,
      describeProfile(ctx, view),
      madeCurrent ? `It is the current profile (change with \`cleanroom profile use\`).` : "",
    ]
      .filter(Boolean)
      .join("\n"),
  );
  return view;
}

export const kindOption = () =>
  new Option("--kind <kind>", "what this persona will be in the consortium").choices([
    "member",
    "user",
  ]);

export function profileCreateCommand(): Command {
  return defineCommand("create", {
    summary: "create a persona profile with its own key and certificate",
    description:
      "Creates a profile: a folder in the cleanroom config directory ($CLEANROOM_HOME, else\n" +
      "$XDG_CONFIG_HOME/cleanroom, else ~/.config/cleanroom) holding a new EC P-384 private key\n" +
      "(mode 0600, never sent anywhere), a self-signed certificate for it, and, with --endpoint\n" +
      "and --service-cert, the consortium's address and its pinned service certificate. Create\n" +
      "one profile per persona: profiles never share keys. The first profile becomes the current one.",
    examples: [
      "cleanroom profile create northwind",
      "cleanroom profile create contoso --kind user --endpoint https://ccf.example:8000 --service-cert service_cert.pem",
      "cleanroom profile create fabrikam --json",
    ],
  })
    .argument("<name>", "profile name (letters, digits, '.', '-', '_')")
    .addOption(kindOption())
    .option("--endpoint <url>", "the consortium's governance service, e.g. https://127.0.0.1:8000")
    .option("--service-cert <file>", "the consortium's service certificate (PEM) to pin")
    .action(async (name: string, options: CreateProfileOptions, command: Command) => {
      await runCreateProfile(contextOf(command), name, options);
    });
}
