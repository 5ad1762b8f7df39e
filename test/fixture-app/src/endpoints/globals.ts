// What the global environment offers an app: no Node or Web APIs, CCF's Date and Math.random.
import { ccf } from "@microsoft/ccf-app/global.js";
import type { Response } from "@microsoft/ccf-app";
import { attempt } from "../util.js";

const ABSENT = [
  "require",
  "process",
  "Buffer",
  "global",
  "module",
  "fetch",
  "setTimeout",
  "setInterval",
  "setImmediate",
  "queueMicrotask",
  "TextEncoder",
  "TextDecoder",
  "atob",
  "btoa",
  "URL",
  "crypto",
  "Intl",
  "XMLHttpRequest",
  "WebAssembly",
];

export function inspect(): Response {
  const g = globalThis as Record<string, unknown>;
  const present = ABSENT.filter((name) => g[name] !== undefined);
  const before = { now: Date.now(), constructed: new Date().getTime() };
  const previous = ccf.enableUntrustedDateTime(true);
  const after = { now: Date.now(), constructed: new Date().getTime() };
  const second = ccf.enableUntrustedDateTime(false);
  const random = Math.random();
  return {
    body: {
      present,
      hasConsoleDebug: typeof (console as unknown as Record<string, unknown>)["debug"],
      before,
      previous,
      after,
      second,
      afterDisable: Date.now(),
      random,
      badDateFlag: attempt(() => ccf.enableUntrustedDateTime("yes" as unknown as boolean)),
    },
  };
}

export function converters(): Response {
  const buf = ccf.strToBuf("é€");
  return {
    body: {
      bytes: buf.byteLength,
      back: ccf.bufToStr(buf),
      json: ccf.bufToJsonCompatible(ccf.jsonCompatibleToBuf({ a: 1 })),
      undefinedJson: attempt(() => ccf.jsonCompatibleToBuf(undefined as unknown as string)),
      notString: attempt(() => ccf.strToBuf(1 as unknown as string)),
      notBuffer: attempt(() => ccf.bufToStr(new Uint8Array(2) as unknown as ArrayBuffer)),
    },
  };
}

export function logs(): Response {
  console.log("fixture says hello", { n: 1 });
  console.warn("fixture warns");
  return { body: "logged" };
}
