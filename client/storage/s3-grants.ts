// S3 access grants minted by AWS STS: temporary credentials whose session policy is
// `s3GrantPolicy(...)`, so the service itself enforces the bucket/prefix, the actions and the
// expiry. `sts:AssumeRole` when a role is given (the usual setup: a role the owner keeps for clean
// rooms), `sts:GetFederationToken` otherwise (long-term IAM user credentials only). The effective
// permissions are the intersection of the caller's (role or user) and the session policy.
//
// STS issues sessions of at least 15 minutes. A shorter grant still ends on time on AWS: the
// session policy only allows requests before `aws:CurrentTime` reaches the grant's expiry.
//
// Temporary credentials cannot be invalidated one by one: deleting the grant in governance keeps the
// clean room from obtaining them, but a copy already obtained works until its expiry.
import { createHash } from "node:crypto";

import {
  AssumeRoleCommand,
  GetFederationTokenCommand,
  STSClient,
  type Credentials,
} from "@aws-sdk/client-sts";

import { connectionCode } from "../network.js";
import {
  checkGrantOptions,
  s3GrantPolicy,
  type GrantAccess,
  type S3AccessGrant,
  type S3Credentials,
} from "./grants.js";
import type { S3Location } from "./s3.js";

export type StsAction = "AssumeRole" | "GetFederationToken";

/** Shortest session STS issues, in seconds. */
export const STS_MIN_SECONDS = 900;

/** Longest session each STS action issues, in seconds (AssumeRole: also the role's own maximum). */
export const STS_MAX_SECONDS: Record<StsAction, number> = {
  AssumeRole: 43_200,
  GetFederationToken: 129_600,
};

/** Longest role session name (AssumeRole) and federated user name (GetFederationToken). */
const MAX_NAME_LENGTH: Record<StsAction, number> = { AssumeRole: 64, GetFederationToken: 32 };

/** Stable codes callers switch on. */
export type StsErrorCode =
  | "GrantTooLong"
  | "StsAccessDenied"
  | "StsInvalidCredentials"
  | "StsUnreachable"
  | "StsRefused"
  | "NoCredentials";

/** A refusal to mint: `message` says what happened (one line, no secrets), `hint` what to do. */
export class StsError extends Error {
  override readonly name = "StsError";
  constructor(
    readonly code: StsErrorCode,
    message: string,
    readonly hint: string,
    /** The service's own error code or the network error code. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

export interface StsGrantRequest {
  location: S3Location;
  access: GrantAccess;
  expiresAt: Date;
  /** AssumeRole on this role; GetFederationToken without it. */
  roleArn?: string;
  /** The role session / federated user name (see `stsSessionName`). */
  sessionName: string;
  /** The owner's credentials; undefined: the AWS default chain (environment, shared profile …). */
  caller?: S3Credentials;
  /** STS endpoint (an S3-compatible service's STS, a test stand-in); default: AWS STS. */
  endpoint?: string;
}

const SESSION_NAME_CHARS = /[^\w+=,.@-]/g;

/**
 * A role session (AssumeRole, ≤ 64 characters) or federated user (GetFederationToken, ≤ 32) name
 * for a dataset's grant, made of STS's allowed characters. It shows in the service's audit logs
 * (CloudTrail), so it names the contract and dataset; a long pair is cut and keeps a digest of both.
 */
export function stsSessionName(action: StsAction, contractId: string, datasetId: string): string {
  const max = MAX_NAME_LENGTH[action];
  const full = `cleanroom.${contractId}.${datasetId}`.replace(SESSION_NAME_CHARS, "_");
  if (full.length <= max) return full;
  const digest = createHash("sha256").update(`${contractId}\n${datasetId}`).digest("hex");
  return `${full.slice(0, max - 9)}-${digest.slice(0, 8)}`;
}

const hours = (seconds: number): string => `${seconds / 3600} h`;

/**
 * The DurationSeconds to ask STS for a grant until `expiresAt`: at least STS's 15 minutes (the
 * session policy still ends it at `expiresAt`), and a GrantTooLong error past the action's limit.
 */
export function stsDurationSeconds(action: StsAction, expiresAt: Date, now = new Date()): number {
  const wanted = Math.ceil((expiresAt.getTime() - now.getTime()) / 1000);
  const max = STS_MAX_SECONDS[action];
  if (wanted > max) {
    throw new StsError(
      "GrantTooLong",
      `STS ${action} issues credentials for at most ${hours(max)} (${max.toLocaleString("en-US")} s): the grant asked for ${wanted.toLocaleString("en-US")} s`,
      action === "AssumeRole"
        ? `pass --expires ${max / 3600}h or less (the role's maximum session duration must also be that long), and grant again before it ends`
        : `pass --expires ${max / 3600}h or less, and grant again before it ends`,
    );
  }
  return Math.max(STS_MIN_SECONDS, wanted);
}

/** The IAM partition of a region (ARNs differ in China and GovCloud). */
export function partitionOf(region: string | undefined): string {
  if (region?.startsWith("cn-")) return "aws-cn";
  if (region?.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function stsClient(location: S3Location, caller: S3Credentials | undefined, endpoint?: string) {
  return new STSClient({
    region: location.region ?? "us-east-1",
    ...(endpoint === undefined ? {} : { endpoint }),
    maxAttempts: 2,
    ...(caller === undefined ? {} : { credentials: { ...caller } }),
  });
}

/**
 * The owner's credentials from the AWS default chain (environment, shared config and credentials
 * files, SSO, container or instance roles), for the calls that need them as keys (creating the
 * sink's bucket). A NoCredentials StsError when the chain has none.
 */
export async function defaultAwsCredentials(location: S3Location): Promise<S3Credentials> {
  const client = stsClient(location, undefined);
  try {
    const found = await client.config.credentials();
    return {
      accessKeyId: found.accessKeyId,
      secretAccessKey: found.secretAccessKey,
      ...(found.sessionToken === undefined ? {} : { sessionToken: found.sessionToken }),
    };
  } catch (error) {
    throw noCredentials(errorCode(error) ?? "unknown error");
  } finally {
    client.destroy();
  }
}

const noCredentials = (detail: string): StsError =>
  new StsError(
    "NoCredentials",
    `no usable AWS credentials to call STS with (${detail})`,
    "pass --access-key-id and --secret-access-key, or set AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    detail,
  );

/** The service's error code of an SDK error (`Code`, else its name). */
function errorCode(error: unknown): string | undefined {
  const record = (error ?? {}) as { name?: unknown; Code?: unknown };
  if (typeof record.Code === "string") return record.Code;
  return typeof record.name === "string" ? record.name : undefined;
}

/**
 * Mints temporary credentials for the clean room with STS, scoped by `s3GrantPolicy` to the
 * location's bucket and prefix, to reading or writing, until the grant's expiry. The grant's
 * expiry is the earlier of `expiresAt` and the expiration STS returned.
 */
export async function mintS3Grant(request: StsGrantRequest): Promise<S3AccessGrant> {
  const action: StsAction = request.roleArn === undefined ? "GetFederationToken" : "AssumeRole";
  const now = new Date();
  checkGrantOptions(request, now);
  const durationSeconds = stsDurationSeconds(action, request.expiresAt, now);
  // Whole seconds, as STS and the policy condition compare them.
  const wanted = new Date(Math.floor(request.expiresAt.getTime() / 1000) * 1000);
  const { location, access } = request;
  const policy = s3GrantPolicy(
    location.bucket,
    location.prefix,
    access,
    wanted,
    partitionOf(location.region),
  );
  const client = stsClient(location, request.caller, request.endpoint);
  let credentials: Credentials | undefined;
  try {
    const common = { Policy: JSON.stringify(policy), DurationSeconds: durationSeconds };
    const response =
      request.roleArn === undefined
        ? await client.send(new GetFederationTokenCommand({ ...common, Name: request.sessionName }))
        : await client.send(
            new AssumeRoleCommand({
              ...common,
              RoleArn: request.roleArn,
              RoleSessionName: request.sessionName,
            }),
          );
    credentials = response.Credentials;
  } catch (error) {
    throw stsFailure(error, action, request.roleArn);
  } finally {
    client.destroy();
  }
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = credentials ?? {};
  if (!AccessKeyId || !SecretAccessKey || !SessionToken || !(Expiration instanceof Date)) {
    throw new StsError(
      "StsRefused",
      `STS ${action} answered without complete temporary credentials`,
      "check that --sts-endpoint is an STS service",
    );
  }
  const expiresAt = Math.min(wanted.getTime(), Expiration.getTime());
  return {
    kind: "s3-policy",
    access,
    location: { ...location },
    expiresAt: new Date(expiresAt).toISOString(),
    credentials: {
      accessKeyId: AccessKeyId,
      secretAccessKey: SecretAccessKey,
      sessionToken: SessionToken,
    },
    policy,
    issuer: `sts:${action}`,
  };
}

const INVALID_CALLER = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "IncompleteSignature",
  "InvalidAccessKeyId",
  "UnrecognizedClientException",
]);

/** An STS or credential-chain failure as an StsError (never includes credentials). */
export function stsFailure(error: unknown, action: StsAction, roleArn: string | undefined): Error {
  if (error instanceof StsError) return error;
  const code = errorCode(error);
  const net = connectionCode(error);
  if (net !== undefined || code === "TimeoutError") {
    return new StsError(
      "StsUnreachable",
      `cannot reach STS (${net ?? code})`,
      "check --sts-endpoint (or the network route to AWS STS) and that the service is running",
      net ?? code,
    );
  }
  if (code === "CredentialsProviderError") return noCredentials(code);
  if (code !== undefined && INVALID_CALLER.has(code)) {
    return new StsError(
      "StsInvalidCredentials",
      `STS refused the caller's credentials (${code}): they are unknown, wrong or expired`,
      "check --access-key-id / --secret-access-key (or the AWS profile), and --session-token for temporary ones",
      code,
    );
  }
  if (code === "AccessDenied" || code === "AccessDeniedException") {
    return new StsError(
      "StsAccessDenied",
      roleArn === undefined
        ? "STS refused GetFederationToken (AccessDenied)"
        : `STS refused AssumeRole on ${roleArn} (AccessDenied)`,
      roleArn === undefined
        ? "the caller must be an IAM user (not a role or temporary credentials) allowed sts:GetFederationToken, or pass --role-arn"
        : "the caller needs sts:AssumeRole on that role, and the role's trust policy must allow the caller",
      code,
    );
  }
  if (code === "ValidationError" && /duration/i.test(String((error as Error).message))) {
    return new StsError(
      "GrantTooLong",
      `STS refused the session duration for ${action} (${code})`,
      "grant for a shorter --expires, or raise the role's maximum session duration (MaxSessionDuration, 1 h by default)",
      code,
    );
  }
  return new StsError(
    "StsRefused",
    `STS refused ${action} (${code ?? "unknown error"})`,
    action === "AssumeRole"
      ? "check --role-arn and the caller's permissions"
      : "check the caller's permissions, or pass --role-arn",
    code,
  );
}
