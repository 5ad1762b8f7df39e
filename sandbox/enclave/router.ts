/**
 * Endpoint dispatch as CCF does it: an exact (verb, path) match first, then every templated path
 * of that verb; a path known only under other verbs gives 405 with `Allow`.
 */

export interface EndpointProperties {
  js_module: string;
  js_function: string;
  authn_policies: (string | { all_of: string[] })[];
  mode: "readwrite" | "readonly" | "historical";
  forwarding_required?: string;
  redirection_strategy?: string;
  openapi?: Record<string, unknown>;
  openapi_hidden?: boolean;
  interpreter_reuse?: { key: string };
}

export interface Endpoint {
  method: string;
  /** Path relative to `/app`, e.g. `/person/{name}`. */
  path: string;
  properties: EndpointProperties;
}

interface Template {
  endpoint: Endpoint;
  pattern: RegExp;
  names: string[];
}

export type RouteMatch =
  | { kind: "found"; endpoint: Endpoint; params: Record<string, string> }
  | { kind: "ambiguous" }
  | { kind: "wrong-method"; allowed: string[] }
  | { kind: "none" };

const TEMPLATE_SEGMENT = /\{([^{}/]+)\}/g;

export class Router {
  private readonly exact = new Map<string, Endpoint>();
  private readonly templates = new Map<string, Template[]>();

  constructor(endpoints: Iterable<Endpoint>) {
    for (const endpoint of endpoints) {
      const method = endpoint.method.toUpperCase();
      if (!endpoint.path.includes("{")) {
        this.exact.set(`${method} ${endpoint.path}`, endpoint);
        continue;
      }
      const names: string[] = [];
      const source = endpoint.path
        .split(TEMPLATE_SEGMENT)
        .map((part, i) => {
          if (i % 2 === 1) {
            names.push(part);
            return "([^/]+)";
          }
          return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
        })
        .join("");
      const list = this.templates.get(method) ?? [];
      list.push({ endpoint, pattern: new RegExp(`^${source}$`), names });
      this.templates.set(method, list);
    }
  }

  match(method: string, path: string): RouteMatch {
    const verb = method.toUpperCase();
    const found = this.find(verb, path);
    if (found) return found;
    const allowed = new Set<string>();
    for (const key of this.exact.keys()) {
      const [m, p] = splitKey(key);
      if (p === path) allowed.add(m);
    }
    for (const [m, list] of this.templates) {
      if (list.some((t) => t.pattern.test(path))) allowed.add(m);
    }
    return allowed.size > 0
      ? { kind: "wrong-method", allowed: [...allowed].sort() }
      : { kind: "none" };
  }

  private find(verb: string, path: string): RouteMatch | undefined {
    const exact = this.exact.get(`${verb} ${path}`);
    if (exact) return { kind: "found", endpoint: exact, params: {} };
    const matches: RouteMatch[] = [];
    for (const template of this.templates.get(verb) ?? []) {
      const m = template.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      template.names.forEach((name, i) => (params[name] = m[i + 1]!));
      matches.push({ kind: "found", endpoint: template.endpoint, params });
    }
    if (matches.length > 1) return { kind: "ambiguous" };
    return matches[0];
  }

  endpoints(): Endpoint[] {
    return [...this.exact.values(), ...[...this.templates.values()].flat().map((t) => t.endpoint)];
  }
}

function splitKey(key: string): [string, string] {
  const space = key.indexOf(" ");
  return [key.slice(0, space), key.slice(space + 1)];
}
