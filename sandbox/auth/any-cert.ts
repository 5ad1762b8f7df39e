/**
 * `any_cert`: any TLS client certificate inside its validity window. Caller
 * `{policy, cert}`, with `cert` the PEM of the session's certificate (no id, no data).
 */
import { sessionCert, validityError } from "./certs.js";
import { fail, type AuthnPolicy, type PolicyContext, type PolicyOutcome } from "./types.js";

export const anyCert: AuthnPolicy = {
  name: "any_cert",
  authenticate({ request, nowMs }: PolicyContext): PolicyOutcome {
    const der = request.clientCertDer;
    if (der === undefined || der.length === 0) return fail("No caller certificate");
    const cert = sessionCert(der);
    const invalid = validityError(cert, nowMs);
    if (invalid !== undefined) return fail(invalid);
    return { ok: true, identity: { policy: "any_cert", cert: cert.pem } };
  },
};
