/**
 * The genesis transaction, as a CCF node's start-up writes it: the initial members (Accepted,
 * each with an ACK record), the constitution, the service configuration and the service
 * identity, with the service still Opening.
 */
import { certificateId } from "../../client/cose.js";
import type { TxId } from "../kv/store.js";
import { Transaction } from "../kv/tx.js";
import type { Node } from "./node.js";
import { SINGLETON_KEY, Tables, stringKey, type ServiceInfo } from "./tables.js";

export interface GenesisMember {
  certPem: string;
  memberData?: unknown;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");

export function writeGenesis(
  node: Node,
  genesis: { members: GenesisMember[]; constitution: string; serviceCertPem: string },
): TxId {
  const tx = new Transaction(node.store.current, "gov-apply");
  for (const member of genesis.members) {
    const id = stringKey(certificateId(member.certPem));
    tx.set(Tables.membersCerts, id, Buffer.from(member.certPem, "utf8"));
    // Initial members start Accepted, with an ACK record (no signature yet, so an empty digest),
    // and become Active once they ack with their own key (ccf-runtime.md §4.5).
    const info: { status: string; member_data?: unknown } = { status: "Accepted" };
    if (member.memberData !== undefined) info.member_data = member.memberData;
    tx.set(Tables.membersInfo, id, json(info));
    tx.set(Tables.membersAcks, id, json({ state_digest: "" }));
  }
  tx.set(Tables.constitution, SINGLETON_KEY, json(genesis.constitution));
  tx.set(
    Tables.serviceConfig,
    SINGLETON_KEY,
    json({ recovery_threshold: 0, recent_cose_proposals_window_size: 100 }),
  );
  const service: ServiceInfo = {
    status: "Opening",
    cert: genesis.serviceCertPem,
    recovery_count: 0,
    current_service_create_txid: `${node.store.view}.1`,
  };
  tx.set(Tables.serviceInfo, SINGLETON_KEY, json(service));
  return node.commit(tx);
}
