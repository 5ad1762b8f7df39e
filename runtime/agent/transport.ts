// Which failures mean "governance cannot be reached right now" (try again later, keep the run)
// rather than "governance said no" (report it, move on).
import { GovernanceError } from "../../client/governance/transport.js";

export function isTransportFailure(error: unknown): error is GovernanceError {
  return error instanceof GovernanceError && (error.status === 0 || error.status === 503);
}
