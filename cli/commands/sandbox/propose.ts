/** `cleanroom sandbox propose`: sign a proposal file as a workspace member and submit it. */
import { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { UserError } from "../../errors.js";
import { createOutput } from "../../output.js";
import {
  DEFAULT_URL,
  describeProposal,
  loadMember,
  loadServiceCert,
  memberNames,
  withMemberGov,
} from "./gov-request.js";

interface ProposeOptions {
  workspace: string;
  member: string;
  url: string;
  json: boolean;
}

function readProposal(file: string): string {
  if (!existsSync(file)) throw new UserError(`${file} not found`, undefined, "FileNotFound");
  const text = readFileSync(file, "utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `${file} is not JSON: ${(error as Error).message}`,
      'a proposal looks like {"actions": [{"name": "set_user", "args": {…}}]}',
      "InvalidProposal",
    );
  }
  const actions = (parsed as { actions?: unknown } | null)?.actions;
  if (!Array.isArray(actions)) {
    throw new UserError(
      `${file} has no "actions" array`,
      'a proposal looks like {"actions": [{"name": "set_user", "args": {…}}]}',
      "InvalidProposal",
    );
  }
  return text;
}

export function sandboxProposeCommand(): Command {
  return new Command("propose")
    .summary("sign a proposal file as a member and submit it to the sandbox")
    .description(
      'Signs <proposal.json> (CCF\'s proposal format: {"actions": [{"name", "args"}, …]}) with ' +
        "the member's key from the workspace as a COSE Sign1 governance request, sends it over " +
        "HTTPS pinned to the workspace's service_cert.pem, and prints the proposal's id and state. " +
        "With several active members the proposal stays Open until enough members vote for it " +
        "(`cleanroom sandbox vote`); in a single-member consortium it is accepted at once.",
    )
    .argument("<proposal.json>", "the proposal file")
    .option("--workspace <dir>", "the sandbox's workspace directory", "workspace")
    .option("--member <name>", "the proposing member (its key signs)", "member0")
    .option("--url <url>", "the sandbox's address", DEFAULT_URL)
    .option("--json", "print the proposal as JSON", false)
    .addHelpText(
      "after",
      `
Examples:
  $ cat > open.json <<'EOF'
  {"actions": [{"name": "set_member_data", "args": {"member_id": "<id>", "member_data": {"role": "auditor"}}}]}
  EOF
  $ cleanroom sandbox propose open.json
  $ cleanroom sandbox propose add-user.json --member member1 --url https://127.0.0.1:8001 --json`,
    )
    .action(async (file: string, options: ProposeOptions) => {
      const out = createOutput(options.json);
      const proposal = readProposal(file);
      const member = loadMember(options.workspace, options.member);
      const serviceCert = loadServiceCert(options.workspace);
      const result = await withMemberGov(options.url, serviceCert, member, (gov) =>
        gov.proposeText(proposal),
      );
      out.result(result, describeProposal(result, memberNames(options.workspace)));
    });
}
