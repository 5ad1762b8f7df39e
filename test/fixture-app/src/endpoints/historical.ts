// Historical reads: a historical endpoint, getStateRange, and the consensus functions.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { Request, Response } from "@microsoft/ccf-app";
import { errorBody, queryParam } from "../util.js";

export function at(request: Request): Response {
  const state = ccf.historicalState!;
  const value = state.kv["public:tx"]!.get(ccf.strToBuf(request.params["key"]!));
  return {
    body: {
      transactionId: state.transactionId,
      value: value === undefined ? null : ccf.bufToStr(value),
      hasReceipt: state.receipt !== undefined && state.receipt !== null,
    },
  };
}

export function range(request: Request): Response {
  const from = Number(queryParam(request.query, "from"));
  const to = Number(queryParam(request.query, "to"));
  const key = ccf.strToBuf(queryParam(request.query, "key") ?? "k");
  const states = ccf.historical.getStateRange(1, from, to, 60);
  if (states === null) return errorBody(202, "NotReady", "Historical state is not ready.");
  return {
    body: states.map((state) => {
      const value = state.kv["public:tx"]!.get(key);
      return { transactionId: state.transactionId, value: value && ccf.bufToStr(value) };
    }),
  };
}

export function consensus(request: Request): Response {
  const view = Number(queryParam(request.query, "view"));
  const seqno = Number(queryParam(request.query, "seqno"));
  return {
    body: {
      last: ccf.consensus.getLastCommittedTxId(),
      status: ccf.consensus.getStatusForTxId(view, seqno),
      viewOf: ccf.consensus.getViewForSeqno(seqno),
    },
  };
}
