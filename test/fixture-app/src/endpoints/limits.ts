// Runaway handlers: each must end in the error CCF gives, not in a stuck or crashed host.
import type { Response } from "@microsoft/ccf-app";

export function loop(): Response {
  let n = 0;
  // The result is returned so that a bundler cannot prove the loop useless and drop it.
  while (n >= 0) n++;
  return { body: n };
}

function deeper(n: number): number {
  return deeper(n + 1) + 1;
}

export function recursion(): Response {
  return { body: deeper(0) };
}

export function memory(): Response {
  const hoard: ArrayBuffer[] = [];
  while (hoard.length >= 0) hoard.push(new ArrayBuffer(1 << 20));
  return { body: hoard.length };
}
