/** What `query approve` and `query reject` share: cast one ballot on a query version. */
import type { QueryVersion } from "../../../client/governance/index.js";
import type { Context } from "../../context.js";
import { resolveVersion, voteSummary, when } from "./shared.js";
import { hinted } from "./hints.js";

export interface BallotOptions {
  queryVersion?: string;
  /** Seconds from now after which the approval allows no run. */
  expires?: number;
  runs?: number;
}

export async function castBallot(
  ctx: Context,
  contractId: string,
  queryId: string,
  vote: "accept" | "reject",
  options: BallotOptions,
): Promise<QueryVersion> {
  const client = ctx.governance();
  try {
    const version =
      options.queryVersion ??
      (await resolveVersion(client.app, contractId, queryId, undefined)).version;
    let written;
    if (vote === "accept") {
      const limits: { expiresAt?: number; runQuota?: number } = {};
      if (options.expires !== undefined) {
        limits.expiresAt = Math.floor(Date.now() / 1000) + options.expires;
      }
      if (options.runs !== undefined) limits.runQuota = options.runs;
      written = await client.app.approveQuery(contractId, queryId, version, limits);
    } else {
      written = await client.app.rejectQuery(contractId, queryId, version);
    }
    const { transactionId, ...result } = written;
    const ballot = Object.values(result.ballots).find((b) => b.vote === vote);
    const limits = [
      ballot?.expiresAt !== undefined ? `until ${when(ballot.expiresAt)}` : "",
      ballot?.runQuota !== undefined ? `for ${ballot.runQuota} run(s)` : "",
    ].filter(Boolean);
    ctx.out.result(
      { ...result, transactionId },
      `${vote === "accept" ? "Approved" : "Rejected"} query ${queryId} version ${version}` +
        `${limits.length ? ` (${limits.join(", ")})` : ""}: it is now ${result.state}, ${voteSummary(result)}.`,
    );
    return result;
  } catch (error) {
    throw hinted(error);
  } finally {
    client.close();
  }
}
