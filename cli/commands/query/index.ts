import type { Command } from "commander";
import { defineGroup } from "../../command.js";
import { queryApproveCommand } from "./approve.js";
import { queryCreateCommand } from "./create.js";
import { queryListCommand } from "./list.js";
import { queryProposeCommand } from "./propose.js";
import { queryRejectCommand } from "./reject.js";
import { queryReviewCommand } from "./review.js";
import { queryShowCommand } from "./show.js";
import { queryWithdrawCommand } from "./withdraw.js";

export function queryCommand(): Command {
  return defineGroup(
    "query",
    "propose, review and approve the queries a clean room may run",
    "A query is the SQL a clean room may run over a contract's datasets, with the rules its output\n" +
      "must meet. Its approvers are the owners of every dataset it reads or writes; it runs only\n" +
      "once all of them approve it, and every change is a new version needing their votes again.",
  )
    .addCommand(queryCreateCommand())
    .addCommand(queryProposeCommand())
    .addCommand(queryReviewCommand())
    .addCommand(queryShowCommand())
    .addCommand(queryApproveCommand())
    .addCommand(queryRejectCommand())
    .addCommand(queryWithdrawCommand())
    .addCommand(queryListCommand());
}
