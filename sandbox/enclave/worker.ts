/**
 * Entry point of the engine thread: the part of the node that CCF runs inside the enclave.
 * It owns the KV store and the interpreters; the host thread only moves bytes.
 *
 * Start-up goes through governance as on CCF (ccf-runtime.md §5): genesis records the initial
 * members (Accepted) and the constitution; then the sandbox, acting for the members whose keys
 * the workspace holds, acks each of them, deploys the bundle by a `set_js_app` proposal, adds
 * the users by `set_user` and opens the service by `transition_service_to_open` — signed COSE
 * requests through the same path as HTTP ones.
 *
 * On a restart the ledger is replayed first, and a workspace that already holds a service is
 * served as it was. A response to a request that wrote is sent only once its transaction is on
 * disk; a tampered ledger stops the start with an error naming the first bad transaction.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ActingMembers, GovRequestError, memberKey } from "../gov/acting.js";
import { defaultConstitution } from "../gov/constitution.js";
import { Store } from "../kv/store.js";
import { errorResponse, type HttpResponse } from "../http/messages.js";
import { LedgerCorruptError, loadOrCreateLedgerSecret } from "../ledger/index.js";
import { loadQuickJS } from "../quickjs/wasm.js";
import { CommitLog } from "./commits.js";
import { writeGenesis } from "./genesis.js";
import { Node } from "./node.js";
import type { EngineConfig, EngineToHost, HostToEngine } from "./protocol.js";
import { readServiceInfo } from "./tables.js";

const port = parentPort!;
const send = (message: EngineToHost, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

function transferable(body: Uint8Array | undefined): ArrayBuffer[] {
  return body && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
    ? [body.buffer as ArrayBuffer]
    : [];
}

const log = (line: string) => send({ type: "log", line });

async function boot(
  config: EngineConfig,
): Promise<{ node: Node; acting: ActingMembers; commits: CommitLog }> {
  const [wasm, { log: commits, restored }] = await Promise.all([
    loadQuickJS(),
    CommitLog.open({
      store: new Store(),
      dir: config.ledgerDir,
      secret: loadOrCreateLedgerSecret(config.ledgerSecretPath),
      serviceCertPem: config.serviceCertPem,
      node: {
        nodeId: config.nodeId,
        certPem: config.nodeCertPem,
        privateKey: config.nodePrivateKeyPem,
      },
      schedule: config.signatures,
      onFailure: (error) => log(`ledger write failed, no more writes are acknowledged: ${error}`),
    }),
  ]);
  if (restored.torn) {
    const { file, offset, bytes, seqno } = restored.torn;
    log(
      `ledger: dropped an incomplete last write (transaction seqno ${seqno}, ${bytes} bytes at ${file}:${offset}), as a crash in the middle of an append leaves it`,
    );
  }
  if (restored.transactions > 0) {
    log(`ledger: replayed ${restored.transactions} transactions from ${config.ledgerDir}`);
  }
  const node = new Node(
    wasm,
    { nodeId: config.nodeId, serviceCertPem: config.serviceCertPem, snpTrust: config.snpTrust },
    log,
    commits,
  );
  const keyed = config.members
    .filter((m) => m.privateKeyPem)
    .map((m) => memberKey(m.certPem, m.privateKeyPem!));
  const acting = new ActingMembers((request) => node.handle(request), keyed);

  // A store that already holds a service (restored from a ledger) is not started again, but the
  // bundle named at this start is the one served: it is deployed again through governance.
  if (readServiceInfo(node.store.current) !== undefined) {
    if (config.bundle && keyed.length > 0) {
      acting.pass([{ name: "set_js_app", args: { bundle: config.bundle } }]);
      log("deployed the given bundle by a set_js_app proposal");
    }
  } else {
    writeGenesis(node, {
      members: config.members,
      constitution: defaultConstitution(config.constitutionAdditions),
      serviceCertPem: config.serviceCertPem,
    });
    for (const member of keyed) acting.activate(member);
    if (config.bundle) acting.pass([{ name: "set_js_app", args: { bundle: config.bundle } }]);
    if (config.users.length > 0) {
      acting.pass(config.users.map((u) => ({ name: "set_user", args: { cert: u.certPem } })));
    }
    acting.pass([
      {
        name: "transition_service_to_open",
        args: { next_service_identity: config.serviceCertPem },
      },
    ]);
  }
  await node.takeDurable();
  return { node, acting, commits };
}

/** The error code the host reports: CCF's, or ProposalFailedToApply for a failed apply. */
function errorCode(error: unknown): string {
  if (error instanceof LedgerCorruptError) return "LedgerCorrupt";
  if (!(error instanceof GovRequestError)) return "InternalError";
  return error.status === 500 && /^Failed to (apply|resolve)\(\)/.test(error.message)
    ? "ProposalFailedToApply"
    : error.code;
}

boot(workerData as EngineConfig).then(
  ({ node, acting, commits }) => {
    const respond = (id: number, response: HttpResponse) =>
      send({ type: "response", id, response }, transferable(response.body));
    port.on("message", (message: HostToEngine) => {
      switch (message.type) {
        case "request": {
          const response = node.handle(message.request);
          const durable = node.takeDurable();
          if (!durable) return respond(message.id, response);
          durable.then(
            () => respond(message.id, response),
            () =>
              respond(
                message.id,
                errorResponse(500, "InternalError", "The transaction could not be made durable."),
              ),
          );
          return;
        }
        case "actions": {
          const done = (error?: unknown) =>
            send({
              type: "actions-done",
              id: message.id,
              ...(error === undefined
                ? {}
                : { error: { code: errorCode(error), message: (error as Error).message } }),
            });
          try {
            acting.pass(message.actions);
          } catch (error) {
            node.takeDurable();
            return done(error);
          }
          (node.takeDurable() ?? Promise.resolve()).then(() => done(), done);
          return;
        }
        case "stop":
          void commits.close().then(() => send({ type: "stopped", id: message.id }));
          return;
      }
    });
    send({ type: "ready" });
  },
  (error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    send({ type: "failed", message: text, code: errorCode(error) });
  },
);
