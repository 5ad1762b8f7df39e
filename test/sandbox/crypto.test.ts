/**
 * `ccf.crypto` as an app inside QuickJS sees it, checked against independent implementations:
 * Node's crypto and jose. (The host functions' own unit tests cover every format in detail.)
 */
import assert from "node:assert/strict";
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  randomBytes,
  sign,
  verify,
  constants,
} from "node:crypto";
import { exportJWK } from "jose";
import { startFixture, type FixtureSandbox } from "../support/fixture.js";

type Arg = string | number | boolean | { hex: string } | Record<string, unknown> | undefined;
const hex = (bytes: Uint8Array | Buffer) => ({ hex: Buffer.from(bytes).toString("hex") });
const bytes = (value: unknown) => Buffer.from((value as { hex: string }).hex, "hex");

describe("sandbox: ccf.crypto inside the app", function () {
  let f: FixtureSandbox;
  before(async () => {
    f = await startFixture();
  });
  after(async () => f?.stop());

  async function call(fn: string, ...args: Arg[]): Promise<unknown> {
    const reply = await f.client.request("/app/crypto", { body: { fn, args } });
    assert.equal(reply.status, 200, reply.text);
    const result = reply.json<{ ok?: unknown; error?: string }>();
    if (result.error !== undefined) throw new Error(result.error);
    return result.ok;
  }

  it("signs with ECDSA in P1363 form that Node verifies, and verifies Node's signatures", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const publicPem = publicKey.export({ type: "spki", format: "pem" }) as string;
    const data = Buffer.from("ledger entry");
    const signature = bytes(
      await call("sign", { name: "ECDSA", hash: "SHA-256" }, privatePem, hex(data)),
    );
    assert.equal(signature.length, 96);
    assert.ok(verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature));
    const nodeSignature = sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" });
    const alg = { name: "ECDSA", hash: "SHA-256" };
    assert.equal(
      await call("verifySignature", alg, publicPem, hex(nodeSignature), hex(data)),
      true,
    );
    const tampered = Buffer.from(nodeSignature);
    tampered[5]! ^= 1;
    assert.equal(await call("verifySignature", alg, publicPem, hex(tampered), hex(data)), false);
  });

  it("digests with SHA-256 only", async () => {
    const data = randomBytes(100);
    assert.deepEqual(
      bytes(await call("digest", "SHA-256", hex(data))),
      createHash("sha256").update(data).digest(),
    );
    await assert.rejects(call("digest", "SHA-384", hex(data)), /^Error: RangeError/);
  });

  it("wraps with AES-KWP so that Node's id-aes256-wrap-pad unwraps it, and back", async () => {
    const wrappingKey = randomBytes(32);
    const secret = randomBytes(20);
    const wrapped = bytes(
      await call("wrapKey", hex(secret), hex(wrappingKey), { name: "AES-KWP" }),
    );
    const decipher = createDecipheriv(
      "id-aes256-wrap-pad",
      wrappingKey,
      Buffer.from("a65959a6", "hex"),
    );
    assert.deepEqual(Buffer.concat([decipher.update(wrapped), decipher.final()]), secret);
    const cipher = createCipheriv(
      "id-aes256-wrap-pad",
      wrappingKey,
      Buffer.from("a65959a6", "hex"),
    );
    const nodeWrapped = Buffer.concat([cipher.update(secret), cipher.final()]);
    assert.deepEqual(
      bytes(await call("unwrapKey", hex(nodeWrapped), hex(wrappingKey), { name: "AES-KWP" })),
      secret,
    );
  });

  it("wraps with RSA-OAEP (SHA-256, label) for Node's privateDecrypt", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const publicPem = Buffer.from(publicKey.export({ type: "spki", format: "pem" }) as string);
    const secret = randomBytes(32);
    const label = Buffer.from("cleanroom");
    const wrapped = bytes(
      await call("wrapKey", hex(secret), hex(publicPem), { name: "RSA-OAEP", label: hex(label) }),
    );
    const unwrapped = privateDecrypt(
      {
        key: privateKey,
        oaepHash: "sha256",
        oaepLabel: label,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
      },
      wrapped,
    );
    assert.deepEqual(unwrapped, secret);
  });

  it("generates key pairs that Node accepts, and converts EC keys to the JWKs jose makes", async () => {
    const pair = (await call("generateEcdsaKeyPair", "secp256r1")) as {
      privateKey: string;
      publicKey: string;
    };
    const privateKey = createPrivateKey(pair.privateKey);
    assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    const jwk = (await call("pubPemToJwk", pair.publicKey, "my-kid")) as Record<string, unknown>;
    const expected = await exportJWK(createPublicKey(pair.publicKey));
    assert.deepEqual(jwk, { ...expected, kid: "my-kid" });
    const aes = bytes(await call("generateAesKey", 256));
    assert.equal(aes.length, 32);
    await assert.rejects(call("generateAesKey", 100), /RangeError/);
  });

  it("refuses TypedArrays where CCF wants an ArrayBuffer", async () => {
    const reply = await f.client.request("/app/kv-probe?op=has&typed=true", { method: "POST" });
    assert.match(reply.json<{ error: string }>().error, /ArrayBuffer/);
  });
});
