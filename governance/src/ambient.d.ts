// What CCF's JS runtime provides beyond @microsoft/ccf-app's typings.
declare global {
  // CCF installs console.log/info/warn/error (no debug or trace).
  const console: {
    log(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
  };
}

declare module "@microsoft/ccf-app/global.js" {
  interface CCF {
    /** Lower-hex SHA-256 of a PEM certificate's DER: CCF's user and member id. */
    pemToId(pem: string): string;
  }
}

export {};
