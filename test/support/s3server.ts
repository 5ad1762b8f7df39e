// The S3 server for test suites: the starter lives in demos/support (the demo starts it too); this
// adds the mocha helper that starts it before a suite and stops it after.
import { startS3Server, type S3Server } from "../../demos/support/s3server.js";

export {
  S3RVER_ACCESS_KEY_ID,
  S3RVER_SECRET_ACCESS_KEY,
  startS3Server,
  type S3Server,
} from "../../demos/support/s3server.js";

/** Mocha helper: starts the S3 server before the suite and stops it after. */
export function useS3Server(): () => S3Server {
  let server: S3Server | undefined;
  before(async () => {
    server = await startS3Server();
  });
  after(async () => {
    await server?.stop();
    server = undefined;
  });
  return () => {
    if (server === undefined)
      throw new Error("the S3 server is not running (use it inside the suite)");
    return server;
  };
}
