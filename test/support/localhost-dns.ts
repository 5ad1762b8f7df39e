/**
 * Preloaded into CLI processes under test (`NODE_OPTIONS=--import=…`, see keyvault.ts): resolves
 * every `*.localhost` name to 127.0.0.1, as RFC 6761 §6.3 lets resolvers do (systemd-resolved and
 * browsers do; this machine's resolver knows only `localhost`). It lets a stand-in answer at
 * real-looking names such as kv.vault.localhost, which Key Vault's challenge check needs: the
 * vault's host must be a subdomain of the resource the challenge names. TLS is still verified.
 */
import dns from "node:dns";

const lookup = dns.lookup as (hostname: string, ...rest: unknown[]) => void;

dns.lookup = ((hostname: string, ...rest: unknown[]) =>
  lookup(hostname.endsWith(".localhost") ? "127.0.0.1" : hostname, ...rest)) as typeof dns.lookup;
