/** The policies a JS app may name in `authn_policies` (CCF js.h `auth_policies_by_name`). */
import { anyCert } from "./any-cert.js";
import { jwt } from "./jwt.js";
import { memberCert } from "./member-cert.js";
import { noAuth } from "./no-auth.js";
import type { AuthnPolicy } from "./types.js";
import { userCert } from "./user-cert.js";
import { userCoseSign1 } from "./user-cose-sign1.js";

export const POLICIES_BY_NAME: ReadonlyMap<string, AuthnPolicy> = new Map(
  [userCert, memberCert, anyCert, jwt, userCoseSign1, noAuth].map((policy) => [
    policy.name,
    policy,
  ]),
);
