/** CCF's built-in governance tables that the node itself reads, and their value formats. */
import { bytesToKey, type StoreView } from "../kv/store.js";
import type { Endpoint, EndpointProperties } from "./router.js";

export const Tables = {
  modules: "public:ccf.gov.modules",
  endpoints: "public:ccf.gov.endpoints",
  interpreterFlush: "public:ccf.gov.interpreter.flush",
  runtimeOptions: "public:ccf.gov.js_runtime_options",
  constitution: "public:ccf.gov.constitution",
  serviceInfo: "public:ccf.gov.service.info",
  membersCerts: "public:ccf.gov.members.certs",
  membersInfo: "public:ccf.gov.members.info",
  usersCerts: "public:ccf.gov.users.certs",
  usersInfo: "public:ccf.gov.users.info",
  jwtIssuers: "public:ccf.gov.jwt.issuers",
  jwtKeys: "public:ccf.gov.jwt.public_signing_keys_metadata_v2",
  nodesInfo: "public:ccf.gov.nodes.info",
  // Governance (ccf-runtime.md §4): proposals, ballots, member activation, replay protection.
  proposals: "public:ccf.gov.proposals",
  proposalsInfo: "public:ccf.gov.proposals_info",
  coseHistory: "public:ccf.gov.cose_history",
  coseRecentProposals: "public:ccf.gov.cose_recent_proposals",
  membersAcks: "public:ccf.gov.members.acks",
  membersEncryptionKeys: "public:ccf.gov.members.encryption_public_keys",
  serviceConfig: "public:ccf.gov.service.config",
  caCertBundles: "public:ccf.gov.tls.ca_cert_bundles",
  signatures: "public:ccf.internal.signatures",
} as const;

/** Tables whose change invalidates the deployed app and its cached interpreters. */
export const APP_TABLES: readonly string[] = [
  Tables.modules,
  Tables.endpoints,
  Tables.interpreterFlush,
  Tables.runtimeOptions,
];

/** Key of single-value tables: a little-endian u64 zero. */
export const SINGLETON_KEY = bytesToKey(new Uint8Array(8));

export function stringKey(text: string): string {
  return bytesToKey(Buffer.from(text, "utf8"));
}

export function readJson(view: StoreView, table: string, key: string): unknown {
  const value = view.get(table, key)?.value;
  return value === undefined ? undefined : JSON.parse(Buffer.from(value).toString("utf8"));
}

export interface RuntimeOptions {
  max_heap_bytes: number;
  max_stack_bytes: number;
  max_execution_time_ms: number;
  log_exception_details: boolean;
  return_exception_details: boolean;
  max_cached_interpreters: number;
}

export const DEFAULT_RUNTIME_OPTIONS: RuntimeOptions = {
  max_heap_bytes: 100 * 1024 * 1024,
  max_stack_bytes: 1024 * 1024,
  max_execution_time_ms: 5000,
  log_exception_details: false,
  return_exception_details: false,
  max_cached_interpreters: 10,
};

export function readRuntimeOptions(view: StoreView): RuntimeOptions {
  const stored = readJson(view, Tables.runtimeOptions, SINGLETON_KEY) as
    Partial<RuntimeOptions> | undefined;
  return { ...DEFAULT_RUNTIME_OPTIONS, ...stored };
}

export function readEndpoints(view: StoreView): Endpoint[] {
  const endpoints: Endpoint[] = [];
  view.forEach(Tables.endpoints, (key, value) => {
    const text = Buffer.from(key, "latin1").toString("utf8");
    const space = text.indexOf(" ");
    endpoints.push({
      method: text.slice(0, space),
      path: text.slice(space + 1),
      properties: JSON.parse(Buffer.from(value).toString("utf8")) as EndpointProperties,
    });
  });
  return endpoints;
}

export function readModule(view: StoreView, name: string): string | undefined {
  const value = view.get(Tables.modules, stringKey(name))?.value;
  if (value === undefined) return undefined;
  // set_js_app stores each module as a JSON string, as CCF's default constitution does.
  return JSON.parse(Buffer.from(value).toString("utf8")) as string;
}

export interface ServiceInfo {
  status: "Opening" | "Open" | "WaitingForRecoveryShares" | "Recovering";
  cert: string;
  previous_service_identity_version?: number;
  recovery_count?: number;
  service_data?: unknown;
  current_service_create_txid?: string;
}

export function readServiceInfo(view: StoreView): ServiceInfo | undefined {
  return readJson(view, Tables.serviceInfo, SINGLETON_KEY) as ServiceInfo | undefined;
}
