/** Runs bench/load.ts in its own process (so it does not share a thread with the server). */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadResult, LoadSpec } from "./load.js";

export function forkLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./load.js", import.meta.url)), { stdio: "inherit" });
    child.once("message", (result: LoadResult) => resolve(result));
    child.once("exit", (code) =>
      code === 0 ? undefined : reject(new Error(`load generator exited with ${code}`)),
    );
    child.send(spec);
  });
}
