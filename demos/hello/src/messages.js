// A small CCF app: each user records messages under numeric ids; readers see who wrote them.
import { notFound, badRequest } from "./responses.js";

const TABLE = "public:messages";

function messageId(request) {
  const id = request.params.id;
  return /^[0-9]{1,18}$/.test(id) ? ccf.strToBuf(id) : undefined;
}

export function record(request) {
  const id = messageId(request);
  if (id === undefined) return badRequest("InvalidMessageId", "The id must be a decimal number.");
  const text = request.body.text();
  if (text.length === 0)
    return badRequest("EmptyMessage", "The request body must hold the message text.");
  ccf.kv[TABLE].set(id, ccf.jsonCompatibleToBuf({ text, author: request.caller.id }));
  return { statusCode: 204 };
}

export function read(request) {
  const id = messageId(request);
  if (id === undefined) return badRequest("InvalidMessageId", "The id must be a decimal number.");
  const value = ccf.kv[TABLE].get(id);
  if (value === undefined) return notFound(request.params.id);
  return { body: ccf.bufToJsonCompatible(value) };
}

export function readAt(request) {
  const id = messageId(request);
  if (id === undefined) return badRequest("InvalidMessageId", "The id must be a decimal number.");
  const value = ccf.historicalState.kv[TABLE].get(id);
  if (value === undefined) return notFound(request.params.id);
  return {
    body: { ...ccf.bufToJsonCompatible(value), transactionId: ccf.historicalState.transactionId },
  };
}
