/** `no_auth`: always succeeds; caller `{policy: "no_auth"}`. Makes authentication optional. */
import type { AuthnPolicy, PolicyOutcome } from "./types.js";

export const noAuth: AuthnPolicy = {
  name: "no_auth",
  authenticate(): PolicyOutcome {
    return { ok: true, identity: { policy: "no_auth" } };
  },
};
