/** Waits `ms`, or less if `signal` aborts first (following commands stop waiting on Ctrl-C). */
export const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    const stop = () => (clearTimeout(timer), resolve());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", stop);
      resolve();
    }, ms);
    signal?.addEventListener("abort", stop, { once: true });
  });
