/**
 * `@peculiar/x509`, ready to use: it needs a Reflect metadata polyfill loaded before it, and a
 * WebCrypto provider. Import X.509 support from here, never from the package directly.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

export { x509 };
