/**
 * The governance client: how the CLI and the runtime talk to a governance service (the sandbox
 * or a CCF network) over HTTPS pinned to the service certificate.
 *
 *   const client = connectGovernance({ url, serviceCertPem, clientCertPem, clientKeyPem });
 *   await client.app.me();                       // any persona, as its certificate
 *   await client.gov.propose([...]);             // members: needs `member` signing material
 *   client.close();
 */
import { AppClient } from "./app.js";
import { GovClient, type MemberCredentials } from "./gov.js";
import { Transport, type TransportOptions } from "./transport.js";

export * from "./transport.js";
export * from "./gov.js";
export * from "./app.js";

export interface GovernanceClientOptions extends TransportOptions {
  /**
   * A member's certificate and key, to sign /gov requests. When no client certificate is given,
   * the member's is presented for mTLS too.
   */
  member?: MemberCredentials;
}

export interface GovernanceClient {
  transport: Transport;
  app: AppClient;
  gov: GovClient;
  close(): void;
}

export function connectGovernance(options: GovernanceClientOptions): GovernanceClient {
  const { member, ...transportOptions } = options;
  if (member && transportOptions.clientCertPem === undefined) {
    transportOptions.clientCertPem = member.certPem;
    transportOptions.clientKeyPem = member.privateKeyPem;
  }
  const transport = new Transport(transportOptions);
  return {
    transport,
    app: new AppClient(transport),
    gov: new GovClient(transport, member),
    close: () => transport.close(),
  };
}
