// Who am I: what the service knows of the caller (the CLI's `status` starts here).
import type { Request, Response } from "@microsoft/ccf-app";
import { callerOf } from "../lib/caller.js";
import { endpoint } from "../lib/errors.js";

export const whoami = endpoint((request: Request): Response => {
  const caller = callerOf(request);
  if (caller.kind === "anonymous") {
    return { body: { kind: "anonymous", registered: false } };
  }
  return { body: { ...caller, registered: true } };
});
