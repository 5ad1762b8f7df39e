// The ephemeral key a run is bound to: a fresh RSA-2048 pair per run. Its public half goes into
// the attestation's report data and the claim; governance wraps every release to it; the private
// half signs every later request. It lives in memory and, while its run is open, in the journal
// (so that a restarted agent can still speak for the run).
import {
  constants,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  sign,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";

import { RUNTIME_SIGNATURE } from "../../contracts/src/attestation.js";

/** RFC 5649's alternative initial value: what `id-aes256-wrap-pad` expects as its IV. */
const KWP_IV = Buffer.from("A65959A6", "hex");

export const sha256 = (data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(data).digest());

export class RunKey {
  readonly publicKeyPem: string;

  private constructor(private readonly privateKey: KeyObject) {
    this.publicKeyPem = createPublicKey(privateKey)
      .export({ type: "spki", format: "pem" })
      .toString();
  }

  /** A fresh pair, made on a libuv worker: the prime search takes 0.1–1 s of CPU. */
  static async generate(): Promise<RunKey> {
    const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
    return new RunKey(privateKey);
  }

  /** The key a journal kept (PKCS#8 PEM). */
  static fromPem(privateKeyPem: string): RunKey {
    return new RunKey(createPrivateKey(privateKeyPem));
  }

  /** PKCS#8 PEM of the private key, for the journal only. */
  privateKeyPem(): string {
    return this.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  }

  /** `{payload, signature}`: RSA-PSS / SHA-256 / salt 32 over the UTF-8 JSON text of `payload`. */
  signed(payload: object): { payload: string; signature: string } {
    const text = JSON.stringify(payload);
    const signature = sign("sha256", Buffer.from(text, "utf8"), {
      key: this.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: RUNTIME_SIGNATURE.saltLength,
    });
    return { payload: text, signature: signature.toString("base64") };
  }

  /**
   * Unwraps RSA-OAEP-AES-KWP (base64): RSA-OAEP-SHA256 of a one-time AES-256 key, then the
   * secret under AES key wrap with padding. The intermediate AES key is wiped at once.
   */
  unwrap(wrappedBase64: string): Buffer {
    const wrapped = Buffer.from(wrappedBase64, "base64");
    const modulusBytes = 256;
    if (wrapped.length <= modulusBytes) throw new Error("The wrapped value is too short.");
    const aesKey = privateDecrypt(
      { key: this.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      wrapped.subarray(0, modulusBytes),
    );
    try {
      const kwp = createDecipheriv("id-aes256-wrap-pad", aesKey, KWP_IV);
      return Buffer.concat([kwp.update(wrapped.subarray(modulusBytes)), kwp.final()]);
    } finally {
      aesKey.fill(0);
    }
  }
}
