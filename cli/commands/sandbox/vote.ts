/** `cleanroom sandbox vote`: sign a ballot as a workspace member and submit it. */
import { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { UserError } from "../../errors.js";
import { ballotSource } from "../../../client/governance/gov.js";
import { createOutput } from "../../output.js";
import {
  DEFAULT_URL,
  describeProposal,
  loadMember,
  loadServiceCert,
  memberNames,
  withMemberGov,
} from "./gov-request.js";

interface VoteOptions {
  workspace: string;
  member: string;
  url: string;
  accept?: boolean;
  reject?: boolean;
  ballot?: string;
  json: boolean;
}

function chooseBallot(options: VoteOptions): string {
  const chosen = [options.accept, options.reject, options.ballot !== undefined].filter(Boolean);
  if (chosen.length !== 1) {
    throw new UserError(
      "choose exactly one of --accept, --reject or --ballot <file.js>",
      undefined,
      "UsageError",
    );
  }
  if (options.accept) return ballotSource(true);
  if (options.reject) return ballotSource(false);
  const file = options.ballot!;
  if (!existsSync(file)) throw new UserError(`${file} not found`, undefined, "FileNotFound");
  const source = readFileSync(file, "utf8");
  if (!/\bvote\b/.test(source)) {
    throw new UserError(
      `${file} does not define a vote function`,
      "a ballot is an ES module: export function vote(proposal, proposerId) { … return true; }",
      "InvalidBallot",
    );
  }
  return source;
}

export function sandboxVoteCommand(): Command {
  return new Command("vote")
    .summary("vote on an open proposal as a member")
    .description(
      "Signs a ballot with the member's key from the workspace and submits it for <proposalId>. " +
        "A ballot is an ES module exporting vote(proposal, proposerId), run read-only by the " +
        "service: --accept and --reject send one that returns true or false; --ballot sends your " +
        "own. Prints the proposal's state afterwards (Accepted once a majority of active members " +
        "is for it, Rejected once a majority is against).",
    )
    .argument("<proposalId>", "the proposal's id (64 hex characters)")
    .option("--accept", "vote for the proposal")
    .option("--reject", "vote against the proposal")
    .option("--ballot <file.js>", "submit this ballot module")
    .option("--workspace <dir>", "the sandbox's workspace directory", "workspace")
    .option("--member <name>", "the voting member (its key signs)", "member0")
    .option("--url <url>", "the sandbox's address", DEFAULT_URL)
    .option("--json", "print the proposal as JSON", false)
    .addHelpText(
      "after",
      `
Examples:
  $ cleanroom sandbox vote 3f2a…e9 --accept --member member1
  $ cleanroom sandbox vote 3f2a…e9 --reject --member member2 --json
  $ cleanroom sandbox vote 3f2a…e9 --ballot only-set-user.js --member member1`,
    )
    .action(async (proposalId: string, options: VoteOptions) => {
      const out = createOutput(options.json);
      if (!/^[0-9a-f]{64}$/.test(proposalId)) {
        throw new UserError(
          `'${proposalId}' is not a proposal id (64 lower-case hex characters)`,
          "copy the id printed by `cleanroom sandbox propose`",
          "InvalidProposalId",
        );
      }
      const ballot = chooseBallot(options);
      const member = loadMember(options.workspace, options.member);
      const serviceCert = loadServiceCert(options.workspace);
      const result = await withMemberGov(options.url, serviceCert, member, (gov) =>
        gov.vote(proposalId, ballot),
      );
      out.result(result, describeProposal(result, memberNames(options.workspace)));
    });
}
