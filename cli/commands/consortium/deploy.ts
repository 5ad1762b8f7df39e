/**
 * `cleanroom consortium deploy`: as a member, propose the governance app bundle to a consortium
 * (CCF's `set_js_app`), and optionally open a service that is still Opening
 * (`transition_service_to_open`) — the steps that turn a freshly started CCF network into a
 * cleanroom consortium (docs/real-ccf.md).
 */
import type { Command } from "commander";
import { fileURLToPath } from "node:url";
import type { GovernanceAction, Proposal } from "../../../client/governance/index.js";
import { BundleError, DEFAULT_BUNDLE, loadBundle } from "../../../sandbox/index.js";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { UserError } from "../../errors.js";
import { localNames, memberProfile, proposalLine, refusal } from "../proposal/common.js";

export interface ConsortiumDeployOptions {
  /** A bundle.json, or a directory with app.json and src/ (default: the built governance app). */
  bundle?: string;
  /** Also open the service if it is still Opening. */
  open?: boolean;
}

export interface ConsortiumDeployed {
  bundle: string;
  routes: number;
  modules: number;
  /** The service's status before the proposal. */
  serviceStatus: string;
  /** Whether the proposal also opens the service. */
  opens: boolean;
  proposal: Proposal;
}

const DEFAULT_BUNDLE_PATH = fileURLToPath(DEFAULT_BUNDLE);

function readBundle(path: string) {
  try {
    return loadBundle(path);
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    throw new UserError(
      error.message,
      "pass --bundle with governance/build/bundle.json (made by `npm run build`) or an app directory",
      "InvalidBundle",
    );
  }
}

export async function runConsortiumDeploy(
  ctx: Context,
  options: ConsortiumDeployOptions,
): Promise<ConsortiumDeployed> {
  const path = options.bundle ?? DEFAULT_BUNDLE_PATH;
  const bundle = readBundle(path);
  const client = ctx.governance(memberProfile(ctx));
  try {
    const network = (
      await client.transport.request<{ service_status?: string; service_certificate?: string }>({
        method: "GET",
        path: "/node/network",
      })
    ).body;
    const serviceStatus = network.service_status ?? "Unknown";
    const actions: GovernanceAction[] = [
      { name: "set_js_app", args: { bundle, disable_bytecode_cache: false } },
    ];
    const opens = options.open === true && serviceStatus === "Opening";
    if (opens) {
      actions.push({
        name: "transition_service_to_open",
        args: { next_service_identity: network.service_certificate },
      });
    }
    const proposal = await client.gov.propose(actions);
    const routes = Object.values(bundle.metadata.endpoints).reduce(
      (n, methods) => n + Object.keys(methods).length,
      0,
    );
    const result: ConsortiumDeployed = {
      bundle: path,
      routes,
      modules: bundle.modules.length,
      serviceStatus,
      opens,
      proposal,
    };
    const lines = [
      `Proposed ${path} (${routes} routes, ${bundle.modules.length} modules)` +
        (opens ? " and opening the service." : "."),
      proposalLine(proposal, localNames(ctx)),
    ];
    if (options.open && !opens) lines.push(`The service is ${serviceStatus}: nothing to open.`);
    if (proposal.proposalState === "Open") {
      lines.push(
        "Other members vote with `cleanroom proposal vote " +
          `${proposal.proposalId.slice(0, 8)} --accept\`.`,
      );
    }
    ctx.out.result(result, lines.join("\n"));
    return result;
  } catch (error) {
    throw refusal(error, {
      ProposalFailedToValidate: "the constitution refused the bundle: fix what it names",
    });
  } finally {
    client.close();
  }
}

export function consortiumDeployCommand(): Command {
  return defineCommand("deploy", {
    summary: "propose the governance app bundle to the consortium (members)",
    description:
      "As a member, signs and submits a proposal with CCF's set_js_app action carrying the app\n" +
      "bundle: by default governance/build/bundle.json, the cleanroom governance app made by\n" +
      "`npm run build`. This is how a CCF network you started yourself (docker-compose.yml,\n" +
      "docs/real-ccf.md) gets the app, and how a consortium moves to a new build of it. With\n" +
      "--open it also opens a service that is still Opening (transition_service_to_open, with\n" +
      "the service's own certificate as its identity). With one active member the proposal is\n" +
      "accepted at once; otherwise the other members vote on it.",
    examples: [
      "cleanroom consortium deploy --open",
      "cleanroom consortium deploy --bundle governance/build/bundle.json --profile operator",
      "cleanroom consortium deploy --bundle path/to/app --json",
    ],
  })
    .option("--bundle <path>", "bundle.json, or a directory with app.json and src/")
    .option("--open", "also open the service if it is still Opening")
    .action(async (options: ConsortiumDeployOptions, command: Command) => {
      await runConsortiumDeploy(contextOf(command), options);
    });
}
