/**
 * docker-compose.yml cannot run here (no Docker, no CCF images), so this checks what can be
 * checked without running it: it parses; every file or folder it bind-mounts exists in the
 * repository or is one the build writes; the bundle and constitution it mounts are the ones the
 * build writes (the sandbox serves the same bundle); and ports, addresses and dependencies agree
 * between the services, the CCF node's configuration and the scripts.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { load } from "js-yaml";
import { RUNTIME_NODE_FLAGS } from "../../runtime/node-flags.js";
import { DEFAULT_BUNDLE } from "../../sandbox/index.js";
import { repoPath } from "../../scripts/docs/markdown.js";

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  network_mode?: string;
  depends_on?: Record<string, { condition: string }>;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

interface CchostConfig {
  network: { rpc_interfaces: Record<string, { bind_address: string; published_address: string }> };
  command: {
    service_certificate_file: string;
    start: {
      constitution_files: string[];
      members: { certificate_file: string; encryption_public_key_file: string }[];
    };
  };
}

/** Files the build writes (governance/rollup.config.mjs); everything else must be in the repo. */
const BUILD_PRODUCTS = ["governance/build/bundle.json", "governance/build/constitution.js"];

const compose = load(readFileSync(repoPath("docker-compose.yml"), "utf8")) as Compose;
const cchost = JSON.parse(readFileSync(repoPath("docker/ccf/cchost.json"), "utf8")) as CchostConfig;

interface Mount {
  service: string;
  source: string;
  target: string;
  bind: boolean;
}

const mounts: Mount[] = Object.entries(compose.services).flatMap(([service, s]) =>
  (s.volumes ?? []).map((spec) => {
    const [source, target] = spec.split(":") as [string, string];
    return { service, source, target, bind: source.startsWith(".") };
  }),
);

/** The repository path a bind mount's source names ("." is the repository itself). */
const repoRelative = (source: string) => source.replace(/^\.\/?/, "");

/** Which host path is mounted at `containerPath` in `service`, following nested mounts. */
function hostPathOf(service: string, containerPath: string): string | undefined {
  const candidates = mounts
    .filter((m) => m.service === service && m.bind)
    .filter((m) => containerPath === m.target || containerPath.startsWith(`${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length);
  const mount = candidates[0];
  if (!mount) return undefined;
  const rest = containerPath.slice(mount.target.length).replace(/^\//, "");
  return [repoRelative(mount.source), rest].filter(Boolean).join("/");
}

const flag = (args: string[] | undefined, name: string) =>
  args?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe("docker-compose.yml", function () {
  it("parses, with the services the docs describe", function () {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      "azurite",
      "ccf",
      "deploy",
      "init",
      "runtime",
      "s3",
    ]);
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service.image, `${name} names its image`);
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        assert.ok(dependency in compose.services, `${name} depends on ${dependency}`);
      }
    }
  });

  it("bind-mounts only paths in the repository or written by the build", function () {
    const binds = mounts.filter((m) => m.bind);
    assert.ok(binds.length > 5);
    for (const { service, source } of binds) {
      const path = repoRelative(source) || ".";
      if (BUILD_PRODUCTS.includes(path)) continue;
      assert.ok(existsSync(repoPath(path)), `${service} mounts ${source}, which does not exist`);
      assert.ok(!path.startsWith("dist") && !path.includes("/build"), `${path} is a build output`);
    }
    for (const { service, source } of mounts.filter((m) => !m.bind)) {
      const volume = source.split("/")[0]!;
      assert.ok(volume in (compose.volumes ?? {}), `${service} uses undeclared volume ${volume}`);
    }
  });

  it("mounts the bundle and the constitution the build writes", function () {
    const rollup = readFileSync(repoPath("governance/rollup.config.mjs"), "utf8");
    assert.match(rollup, /process\.env\.GOVERNANCE_BUILD \?\? here\("build"\)/);
    assert.match(rollup, /writeFileSync\(out\("bundle\.json"\)/);
    assert.match(rollup, /writeFileSync\(out\("constitution\.js"\)/);

    const bundle = hostPathOf("deploy", "/deploy/bundle.json");
    assert.equal(bundle, "governance/build/bundle.json");
    assert.equal(repoPath(bundle), fileURLToPath(DEFAULT_BUNDLE), "the bundle the sandbox serves");
    const deploy = readFileSync(repoPath("docker/deploy.sh"), "utf8");
    assert.match(deploy, /consortium deploy .*--bundle \/deploy\/bundle\.json --open/);

    const constitution = cchost.command.start.constitution_files;
    assert.deepEqual(
      constitution.map((file) => hostPathOf("ccf", file)),
      ["governance/build/constitution.js"],
    );
  });

  it("gives the CCF node every file its configuration names", function () {
    const config = hostPathOf("ccf", "/config/cchost.json");
    assert.equal(config, "docker/ccf/cchost.json");
    const command = compose.services["ccf"]!.command!;
    assert.deepEqual(command.slice(-2), ["--config", "/config/cchost.json"]);
    const init = readFileSync(repoPath("docker/init.sh"), "utf8");
    for (const member of cchost.command.start.members) {
      for (const file of [member.certificate_file, member.encryption_public_key_file]) {
        assert.equal(hostPathOf("ccf", file)?.startsWith("docker/workspace/"), true, file);
        assert.equal(hostPathOf("init", file), hostPathOf("ccf", file), `init writes ${file}`);
        assert.ok(init.includes(file.split("/").pop()!), `init.sh makes ${file}`);
      }
    }
    assert.equal(
      hostPathOf("ccf", cchost.command.service_certificate_file),
      "docker/workspace/service_cert.pem",
    );
  });

  it("agrees on ports and addresses", function () {
    const hostPorts = Object.values(compose.services).flatMap((s) =>
      (s.ports ?? []).map((p) => p.split(":").slice(0, 2).join(":")),
    );
    assert.equal(new Set(hostPorts).size, hostPorts.length, "no host port is published twice");

    const [published, container] = compose.services["ccf"]!.ports![0]!.split(":").slice(1);
    const rpc = Object.values(cchost.network.rpc_interfaces)[0]!;
    assert.equal(rpc.bind_address, `0.0.0.0:${container}`);
    assert.equal(rpc.published_address, `127.0.0.1:${published}`);
    const endpoint = `https://127.0.0.1:${published}`;
    const runtime = compose.services["runtime"]!;
    assert.equal(flag(runtime.command, "endpoint"), endpoint);
    const main = runtime.command!.indexOf("dist/runtime/main.js");
    assert.deepEqual(
      runtime.command!.slice(1, main),
      RUNTIME_NODE_FLAGS,
      "node runs it as the CLI does",
    );
    assert.match(readFileSync(repoPath("docker/deploy.sh"), "utf8"), new RegExp(`${endpoint}\\b`));
    // Host networking: the runtime and deploy reach the published ports as the CLI does.
    assert.equal(runtime.network_mode, "host");
    assert.equal(compose.services["deploy"]!.network_mode, "host");
    const cert = flag(runtime.command, "service-cert")!;
    assert.equal(hostPathOf("runtime", cert), "docker/workspace/service_cert.pem");

    const azurite = compose.services["azurite"]!;
    assert.equal(azurite.ports![0], `127.0.0.1:${flag(azurite.command, "blobPort")}:10000`);
    assert.equal(flag(azurite.command, "blobPort"), "10000");
    assert.ok(azurite.command!.includes("--disableTelemetry"), "Azurite phones home without it");
    const s3 = compose.services["s3"]!;
    const port = flag(s3.command, "port");
    assert.equal(s3.ports![0], `127.0.0.1:${port}:${port}`);
    assert.ok(existsSync(repoPath(s3.command![1]!)), "s3rver comes from node_modules");
  });
});
