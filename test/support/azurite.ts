// Azurite for test suites: the starter lives in demos/support (the demo starts it too); this adds
// the mocha helper that starts it once per suite and stops it after.
import { startAzurite, type AzuriteServer } from "../../demos/support/azurite.js";

export {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  startAzurite,
  type AzuriteServer,
} from "../../demos/support/azurite.js";
export { freePort } from "../../demos/support/ports.js";

/** Mocha helper: starts Azurite before the suite and stops it after. */
export function useAzurite(): () => AzuriteServer {
  let server: AzuriteServer | undefined;
  before(async function () {
    this.timeout(60_000);
    server = await startAzurite();
  });
  after(async () => {
    await server?.stop();
    server = undefined;
  });
  return () => {
    if (server === undefined) throw new Error("Azurite is not running (use it inside the suite)");
    return server;
  };
}
