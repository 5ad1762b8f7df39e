// Writes, then ends as the query says: a status, setApplyWrites, or an exception.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { Request, Response } from "@microsoft/ccf-app";
import { queryParam } from "../util.js";

export function write(request: Request): Response {
  const q = (name: string) => queryParam(request.query, name);
  ccf.kv["public:tx"]!.set(ccf.strToBuf(q("key") ?? "k"), ccf.strToBuf(q("value") ?? "v"));
  if (q("claims") !== undefined) ccf.rpc.setClaimsDigest(new Uint8Array(32).fill(7).buffer);
  const apply = q("apply");
  if (apply !== undefined) ccf.rpc.setApplyWrites(apply === "true");
  if (q("throw") === "true") throw new Error("failed after writing");
  return { statusCode: Number.parseInt(q("status") ?? "200", 10), body: "done" };
}
