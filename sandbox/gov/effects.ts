/**
 * The governance-only globals (`ccf.setJwtPublicSigningKeys`, `ccf.node.transitionServiceToOpen`,
 * …) that the constitution's apply calls, implemented over the apply transaction.
 */
import { X509Certificate, createPublicKey, type JsonWebKey } from "node:crypto";
import type { Transaction } from "../kv/tx.js";
import type { HostValue } from "../quickjs/marshal.js";
import { SINGLETON_KEY, Tables, stringKey, type ServiceInfo } from "../enclave/tables.js";

interface JwkInput extends JsonWebKey {
  kid?: string;
  x5c?: string[];
  issuer?: string;
}

/** What CCF stores per kid in `…jwt.public_signing_keys_metadata_v2`. */
export interface JwtKeyMetadata {
  /** Base64 of the DER SubjectPublicKeyInfo. */
  public_key: string;
  issuer: string;
  constraint?: string;
}

export class GovernanceEffects {
  refreshed = false;

  constructor(private readonly tx: Transaction) {}

  run(name: string, args: HostValue[]): HostValue {
    switch (name) {
      case "refreshAppBytecodeCache":
        this.refreshed = true;
        return undefined;
      case "setJwtPublicSigningKeys":
        this.setJwtKeys(args[0] as string, args[2] as { keys: JwkInput[] });
        return undefined;
      case "removeJwtPublicSigningKeys":
        this.removeJwtKeys(args[0] as string);
        return undefined;
      case "transitionServiceToOpen":
        this.openService();
        return undefined;
      default:
        throw new Error(`Governance effect ${name} is not supported by the sandbox`);
    }
  }

  private readKeys(kid: string): JwtKeyMetadata[] {
    const value = this.tx.get(Tables.jwtKeys, kid);
    return value === undefined
      ? []
      : (JSON.parse(Buffer.from(value).toString("utf8")) as JwtKeyMetadata[]);
  }

  private writeKeys(kid: string, entries: JwtKeyMetadata[]): void {
    if (entries.length === 0) this.tx.delete(Tables.jwtKeys, kid);
    else this.tx.set(Tables.jwtKeys, kid, Buffer.from(JSON.stringify(entries), "utf8"));
  }

  private removeJwtKeys(issuer: string): void {
    for (const [kid, value] of this.tx.entries(Tables.jwtKeys)) {
      const entries = JSON.parse(Buffer.from(value).toString("utf8")) as JwtKeyMetadata[];
      const kept = entries.filter((entry) => entry.issuer !== issuer);
      if (kept.length !== entries.length) this.writeKeys(kid, kept);
    }
  }

  private setJwtKeys(issuer: string, jwks: { keys: JwkInput[] }): void {
    const converted = jwks.keys.map((jwk) => {
      if (!jwk.kid) throw new Error("JWK is missing a kid");
      return { kid: stringKey(jwk.kid), entry: this.toMetadata(issuer, jwk) };
    });
    this.removeJwtKeys(issuer);
    for (const { kid, entry } of converted) {
      const others = this.readKeys(kid).filter((existing) => existing.issuer !== issuer);
      this.writeKeys(kid, [...others, entry]);
    }
  }

  private toMetadata(issuer: string, jwk: JwkInput): JwtKeyMetadata {
    let publicKey;
    try {
      if (jwk.x5c && jwk.x5c.length > 0) {
        publicKey = new X509Certificate(Buffer.from(jwk.x5c[0]!, "base64")).publicKey;
      } else {
        const { kid: _kid, x5c: _x5c, issuer: _issuer, ...key } = jwk;
        publicKey = createPublicKey({ key, format: "jwk" });
      }
    } catch {
      throw new Error(`JWK ${jwk.kid} is not a valid public key`);
    }
    const der = publicKey.export({ type: "spki", format: "der" });
    const entry: JwtKeyMetadata = { public_key: der.toString("base64"), issuer };
    if (jwk.issuer !== undefined) entry.constraint = jwk.issuer;
    return entry;
  }

  private openService(): void {
    const value = this.tx.get(Tables.serviceInfo, SINGLETON_KEY);
    if (value === undefined) throw new Error("Service info is missing");
    const info = JSON.parse(Buffer.from(value).toString("utf8")) as ServiceInfo;
    if (info.status === "Open") throw new Error("Service is already open");
    info.status = "Open";
    this.tx.set(Tables.serviceInfo, SINGLETON_KEY, Buffer.from(JSON.stringify(info), "utf8"));
  }
}
