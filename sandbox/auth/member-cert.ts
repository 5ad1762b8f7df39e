/**
 * `member_cert`: a TLS client certificate registered in `public:ccf.gov.members.certs`, whatever
 * the member's status (CCF does not require an Active member here).
 */
import { Tables } from "../enclave/tables.js";
import { registeredCertPolicy } from "./certs.js";

export const memberCert = registeredCertPolicy({
  name: "member_cert",
  role: "member",
  certsTable: Tables.membersCerts,
  infoTable: Tables.membersInfo,
  dataField: "member_data",
});
