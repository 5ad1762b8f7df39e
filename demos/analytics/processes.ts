// The background processes the demo's commands start (the sandbox, the clean room) must be gone
// when it ends: stopped by their own command first, and killed by pid if that did not work.

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/** Waits up to `graceMs` for `pid` to exit, then kills it. */
export async function ensureStopped(pid: number, graceMs = 5000): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}
