// Error responses in CCF's OData shape.
export function badRequest(code, message) {
  return { statusCode: 400, body: { error: { code, message } } };
}

export function notFound(id) {
  return {
    statusCode: 404,
    body: { error: { code: "MessageNotFound", message: `No message has id ${id}.` } },
  };
}
