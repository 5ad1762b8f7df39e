/**
 * The binding every file of a dataset is encrypted under (docs/formats.md): the owner encrypts,
 * the clean room decrypts inputs and encrypts the output, and the sink owner decrypts it, all
 * with this one value.
 */
export const bindingOf = (contractId: string, datasetId: string): string =>
  `${contractId}/${datasetId}`;
