/** `user_cert`: a TLS client certificate registered in `public:ccf.gov.users.certs`. */
import { Tables } from "../enclave/tables.js";
import { registeredCertPolicy } from "./certs.js";

export const userCert = registeredCertPolicy({
  name: "user_cert",
  role: "user",
  certsTable: Tables.usersCerts,
  infoTable: Tables.usersInfo,
  dataField: "user_data",
});
