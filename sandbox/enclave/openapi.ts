/** `GET /app/api`: an OpenAPI 3 document built from `app.json` and the built-in endpoints. */
import type { Endpoint } from "./router.js";

type Operation = Record<string, unknown>;

const BUILTINS: { path: string; summary: string }[] = [
  { path: "/commit", summary: "The id of the latest committed transaction" },
  { path: "/tx", summary: "The status of a transaction (transaction_id=view.seqno)" },
  { path: "/api", summary: "This OpenAPI document" },
];

export function buildOpenApi(endpoints: Endpoint[]): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  const add = (path: string, method: string, operation: Operation) => {
    const full = `/app${path}`;
    paths[full] ??= {};
    paths[full][method.toLowerCase()] = operation;
  };
  for (const endpoint of endpoints) {
    const props = endpoint.properties;
    if (props.openapi_hidden) continue;
    const operation: Operation = {
      responses: { default: { description: "Default response" } },
      ...props.openapi,
    };
    const params = [...endpoint.path.matchAll(/\{([^{}/]+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    if (params.length > 0 && operation["parameters"] === undefined)
      operation["parameters"] = params;
    if (props.authn_policies.length > 0) {
      operation["security"] = props.authn_policies.map((policy) => ({
        [typeof policy === "string" ? policy : `all_of_${policy.all_of.join("_")}`]: [],
      }));
    }
    add(endpoint.path, endpoint.method, operation);
  }
  for (const builtin of BUILTINS) {
    add(builtin.path, "get", {
      summary: builtin.summary,
      responses: { "200": { description: "Default response" } },
    });
  }
  return {
    openapi: "3.0.0",
    info: {
      title: "CCF Application API",
      version: "1.0.0",
      description: "Served by the cleanroom sandbox",
    },
    servers: [],
    paths,
  };
}
