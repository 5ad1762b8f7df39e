// A local STS stand-in for tests: AssumeRole and GetFederationToken over HTTP in the AWS Query
// protocol (form-encoded POST, XML answers as the AWS SDK parses them), in this process, next to an
// s3rver started in this process too.
//
// It checks what it is asked (action and version, the caller's access key id is one s3rver knows,
// role ARN and session / user name, DurationSeconds within STS's limits, a session policy that
// parses as an IAM policy over S3 ARNs) and records each request for the test to assert on. It
// mints a fresh key pair per request and registers it in s3rver's account registry, so the minted
// credentials really open the S3 server; the pair is removed from the registry at its expiration
// (and when the stand-in stops). It can refuse on demand (AccessDenied …) like STS does.
//
// What it does not do: s3rver enforces no IAM, so nothing here enforces the session policy, and
// neither it nor s3rver verifies SigV4 signatures or session tokens. Tests assert the scope on the
// policy sent to STS; AWS enforces it, this server does not.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
const ACCOUNT_ID = "123456789000";

const LIMITS = {
  AssumeRole: { max: 43_200, name: "RoleSessionName", nameMax: 64 },
  GetFederationToken: { max: 129_600, name: "Name", nameMax: 32 },
} as const;
type Action = keyof typeof LIMITS;

/** One request STS answered or refused, without the caller's secret. */
export interface StsRequest {
  action: string;
  /** The form parameters as sent (Policy as the JSON text). */
  params: Record<string, string>;
  /** The parsed session policy, if it parsed. */
  policy?: { Version?: string; Statement?: { Action: string[]; Resource: string[] }[] };
  /** The access key id the request was signed with. */
  callerAccessKeyId?: string;
  /** What was answered: the minted access key id, or the error code. */
  outcome: { accessKeyId: string; expiration: string } | { error: string };
}

export interface StsStandIn {
  /** `http://127.0.0.1:<port>`: pass as --sts-endpoint. */
  endpoint: string;
  readonly requests: StsRequest[];
  /** Refuse the next `times` requests with this STS error code (AccessDenied by default). */
  refuse(code?: string, times?: number): void;
  /** Whether s3rver still accepts a minted access key id. */
  isLive(accessKeyId: string): boolean;
  /** Expire a minted key pair now (as if its expiration had passed). */
  expire(accessKeyId: string): void;
  /** Stops the server and removes every key pair it minted from s3rver. */
  stop(): Promise<void>;
}

export interface StsOptions {
  /** Return sessions this many seconds long at most, whatever was asked (default: as asked). */
  capSeconds?: number;
  /** The role's maximum session duration (AssumeRole refuses longer; default 43,200 s). */
  roleMaxSeconds?: number;
}

interface AwsAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}
interface AccountModule {
  registry: Map<string, AwsAccount>;
  DUMMY_ACCOUNT: AwsAccount;
}

/**
 * s3rver's account registry: the same module instance the running s3rver consults (it ships no
 * types: a non-literal specifier, typed here).
 */
async function s3rverAccounts(): Promise<AccountModule> {
  const specifier = "s3rver/lib/models/account.js";
  return ((await import(specifier)) as { default: AccountModule }).default;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const xmlEscape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function errorXml(code: string, message: string): string {
  return (
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code>` +
    `<Message>${xmlEscape(message)}</Message></Error>` +
    `<RequestId>${randomBytes(8).toString("hex")}</RequestId></ErrorResponse>`
  );
}

function successXml(action: Action, name: string, roleArn: string | undefined, creds: string) {
  const principal =
    action === "AssumeRole"
      ? `<AssumedRoleUser><AssumedRoleId>AROASTANDIN:${name}</AssumedRoleId>` +
        `<Arn>${xmlEscape(`${roleArn!.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")}/${name}`)}</Arn></AssumedRoleUser>`
      : `<FederatedUser><FederatedUserId>${ACCOUNT_ID}:${name}</FederatedUserId>` +
        `<Arn>arn:aws:sts::${ACCOUNT_ID}:federated-user/${name}</Arn></FederatedUser>`;
  return (
    `<${action}Response xmlns="${NAMESPACE}"><${action}Result>${creds}${principal}` +
    `<PackedPolicySize>10</PackedPolicySize></${action}Result>` +
    `<ResponseMetadata><RequestId>${randomBytes(8).toString("hex")}</RequestId></ResponseMetadata>` +
    `</${action}Response>`
  );
}

/** The access key id of a SigV4 Authorization header (`… Credential=AKID/date/region/sts/…`). */
const callerKeyOf = (authorization: string | undefined): string | undefined =>
  /Credential=([^/,\s]+)\//.exec(authorization ?? "")?.[1];

/** Checks a session policy: JSON, IAM version 2012-10-17, statements over S3 ARNs only. */
function parsePolicy(text: string | undefined): NonNullable<StsRequest["policy"]> {
  if (text === undefined) throw new Refusal(400, "ValidationError", "this stand-in wants a Policy");
  let policy: StsRequest["policy"];
  try {
    policy = JSON.parse(text) as StsRequest["policy"];
  } catch {
    throw new Refusal(400, "MalformedPolicyDocument", "The policy is not valid JSON.");
  }
  const statements = policy?.Statement;
  if (policy?.Version !== "2012-10-17" || !Array.isArray(statements) || statements.length === 0) {
    throw new Refusal(400, "MalformedPolicyDocument", "The policy needs a Version and Statements.");
  }
  for (const statement of statements) {
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [];
    if (resources.length === 0 || !resources.every((r) => /^arn:aws[\w-]*:s3:::./.test(r))) {
      throw new Refusal(400, "MalformedPolicyDocument", "Every Resource must be an S3 ARN.");
    }
  }
  return policy!;
}

export async function startSts(options: StsOptions = {}): Promise<StsStandIn> {
  const accounts = await s3rverAccounts();
  const requests: StsRequest[] = [];
  const minted = new Map<string, NodeJS.Timeout>();
  let refusal: { code: string; times: number } | undefined;

  const revoke = (accessKeyId: string) => {
    clearTimeout(minted.get(accessKeyId));
    minted.delete(accessKeyId);
    accounts.DUMMY_ACCOUNT.revokeAccessKey(accessKeyId);
  };

  const answer = (params: Record<string, string>, caller: string | undefined): string => {
    if (params["Version"] !== "2011-06-15") {
      throw new Refusal(400, "InvalidAction", "Version must be 2011-06-15.");
    }
    const action = params["Action"];
    if (action !== "AssumeRole" && action !== "GetFederationToken") {
      throw new Refusal(400, "InvalidAction", `Could not find operation ${action}.`);
    }
    if (caller === undefined || !accounts.registry.has(caller)) {
      throw new Refusal(403, "InvalidClientTokenId", "The security token included is invalid.");
    }
    if (refusal !== undefined && refusal.times > 0) {
      refusal.times -= 1;
      throw new Refusal(403, refusal.code, `User is not authorized to perform: sts:${action}`);
    }
    const limits = LIMITS[action];
    const name = params[limits.name] ?? "";
    if (!/^[\w+=,.@-]+$/.test(name) || name.length < 2 || name.length > limits.nameMax) {
      throw new Refusal(400, "ValidationError", `Invalid ${limits.name}.`);
    }
    const roleArn = params["RoleArn"];
    if (
      action === "AssumeRole" &&
      !/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn ?? "")
    ) {
      throw new Refusal(400, "ValidationError", "Invalid RoleArn.");
    }
    const duration = Number(params["DurationSeconds"] ?? "3600");
    if (!Number.isInteger(duration) || duration < 900 || duration > limits.max) {
      throw new Refusal(
        400,
        "ValidationError",
        `The requested DurationSeconds must be between 900 and ${limits.max}.`,
      );
    }
    if (action === "AssumeRole" && duration > (options.roleMaxSeconds ?? limits.max)) {
      throw new Refusal(
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      );
    }
    parsePolicy(params["Policy"]);
    const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString("base64");
    const sessionToken = randomBytes(48).toString("base64");
    const seconds = Math.min(duration, options.capSeconds ?? duration);
    const expiration = new Date(Math.floor(Date.now() / 1000) * 1000 + seconds * 1000);
    accounts.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
    minted.set(accessKeyId, setTimeout(() => revoke(accessKeyId), seconds * 1000).unref());
    requests.at(-1)!.outcome = { accessKeyId, expiration: expiration.toISOString() };
    const creds =
      `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId>` +
      `<SecretAccessKey>${xmlEscape(secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xmlEscape(sessionToken)}</SessionToken>` +
      `<Expiration>${expiration.toISOString()}</Expiration></Credentials>`;
    return successXml(action, name, roleArn, creds);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
    const caller = callerKeyOf(request.headers.authorization);
    const record: StsRequest = {
      action: params["Action"] ?? "",
      params,
      ...(caller === undefined ? {} : { callerAccessKeyId: caller }),
      outcome: { error: "pending" },
    };
    try {
      record.policy = JSON.parse(params["Policy"] ?? "") as StsRequest["policy"];
    } catch {
      // parsePolicy refuses it below.
    }
    requests.push(record);
    let status = 200;
    let body: string;
    try {
      if (request.method !== "POST") throw new Refusal(405, "InvalidAction", "POST only.");
      body = answer(params, caller);
    } catch (error) {
      const refused = error instanceof Refusal ? error : new Refusal(500, "InternalFailure", "");
      status = refused.status;
      record.outcome = { error: refused.code };
      body = errorXml(refused.code, refused.message);
    }
    response.writeHead(status, { "content-type": "text/xml" }).end(body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    refuse(code = "AccessDenied", times = 1) {
      refusal = { code, times };
    },
    isLive: (accessKeyId) => accounts.registry.has(accessKeyId),
    expire: revoke,
    async stop() {
      for (const accessKeyId of [...minted.keys()]) revoke(accessKeyId);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
