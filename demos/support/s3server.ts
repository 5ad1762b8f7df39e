// An S3-compatible server (s3rver) for the demo and the test suites: started in this process on a
// free loopback port with its files in a folder of its own, and stopped (folder removed) after.
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * s3rver's built-in account. It rejects other access key ids (InvalidAccessKeyId) but does not
 * verify SigV4 signatures, so any secret passes.
 */
export const S3RVER_ACCESS_KEY_ID = "S3RVER";
export const S3RVER_SECRET_ACCESS_KEY = "S3RVER";

export interface S3Server {
  port: number;
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The folder s3rver keeps objects in (to check that nothing stray is left). */
  directory: string;
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  /** Where its object folder is made (default: the system's temporary folder). */
  directory?: string;
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}

type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  resetOnClose?: boolean;
}) => S3rverInstance;

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  // s3rver ships no type declarations: load it through a non-literal specifier and type it here.
  const specifier = "s3rver";
  const S3rver = ((await import(specifier)) as { default: S3rverConstructor }).default;
  const directory = mkdtempSync(join(options.directory ?? tmpdir(), "s3rver-"));
  const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: S3RVER_ACCESS_KEY_ID,
    secretAccessKey: S3RVER_SECRET_ACCESS_KEY,
    directory,
    async stop() {
      if (stopped) return;
      stopped = true;
      server.httpServer?.closeAllConnections();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
