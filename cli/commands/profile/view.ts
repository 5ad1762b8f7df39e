/** How a profile is shown: the JSON document and the lines for people. */
import { join } from "node:path";
import type { Context } from "../../context.js";
import { CERT_FILE, KEY_FILE, type Profile } from "../../profile/store.js";

export interface ProfileView {
  name: string;
  current: boolean;
  kind: string | null;
  id: string;
  endpoint: string | null;
  dir: string;
  cert: string;
  privateKey: string;
  serviceCert: string | null;
  consortium: Profile["consortium"] | null;
  createdAt: string;
}

export function profileView(ctx: Context, profile: Profile): ProfileView {
  const dir = ctx.store.dir(profile.name);
  return {
    name: profile.name,
    current: ctx.store.currentName() === profile.name,
    kind: profile.kind ?? null,
    id: profile.id,
    endpoint: profile.endpoint ?? null,
    dir,
    cert: join(dir, CERT_FILE),
    privateKey: join(dir, KEY_FILE),
    serviceCert: profile.serviceCert ? join(dir, profile.serviceCert) : null,
    consortium: profile.consortium ?? null,
    createdAt: profile.createdAt,
  };
}

export function describeProfile(ctx: Context, view: ProfileView): string {
  const { bold, dim } = ctx.out.style;
  const rows: [string, string][] = [
    ["Profile", `${bold(view.name)}${view.current ? dim(" (current)") : ""}`],
    ["Kind", view.kind ?? dim("not yet a member or user")],
    ["Id", view.id],
    ["Endpoint", view.endpoint ?? dim("none (`cleanroom consortium create`)")],
    ["Certificate", view.cert],
    ["Private key", view.privateKey],
  ];
  if (view.serviceCert) rows.push(["Service cert", view.serviceCert]);
  if (view.consortium) {
    const c = view.consortium;
    rows.push(["Sandbox", `${c.url} ${c.pid ? `(pid ${c.pid})` : dim("(stopped)")}`]);
    rows.push(["Workspace", c.workspace]);
  }
  const pad = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(pad)}${v}`).join("\n");
}
