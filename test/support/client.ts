/**
 * A small HTTPS client for tests: pins the sandbox's service certificate and presents a client
 * certificate when asked, as curl does with --cacert/--cert/--key.
 */
import { Agent, request as httpsRequest } from "node:https";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The body parsed as JSON (throws if it is not JSON). */
  json<T = unknown>(): T;
}

export interface Identity {
  cert: string;
  key: string;
}

export interface RequestOptions {
  method?: string;
  body?: string | Uint8Array | object;
  headers?: Record<string, string>;
  /** Client certificate and key; none by default. */
  as?: Identity;
}

export class Client {
  private readonly agents = new Map<Identity | undefined, Agent>();

  constructor(
    readonly url: string,
    private readonly ca: string,
  ) {}

  /** The PEM files of a workspace participant, e.g. `user0` or `member0`. */
  static identity(workspace: string, name: string): Identity {
    return {
      cert: readFileSync(join(workspace, `${name}_cert.pem`), "utf8"),
      key: readFileSync(join(workspace, `${name}_privk.pem`), "utf8"),
    };
  }

  private agent(as: Identity | undefined): Agent {
    let agent = this.agents.get(as);
    if (!agent) {
      agent = new Agent({ keepAlive: true, ca: this.ca, cert: as?.cert, key: as?.key });
      this.agents.set(as, agent);
    }
    return agent;
  }

  request(path: string, options: RequestOptions = {}): Promise<Reply> {
    const base = new URL(this.url);
    let body: Buffer | undefined;
    const headers: Record<string, string> = { ...options.headers };
    if (typeof options.body === "string") body = Buffer.from(options.body);
    else if (options.body instanceof Uint8Array) body = Buffer.from(options.body);
    else if (options.body !== undefined) {
      body = Buffer.from(JSON.stringify(options.body));
      headers["content-type"] ??= "application/json";
    }
    if (body) headers["content-length"] = String(body.length);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: base.hostname,
          port: base.port,
          path,
          method: options.method ?? (body ? "POST" : "GET"),
          headers,
          agent: this.agent(options.as),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const data = Buffer.concat(chunks);
            const text = data.toString("utf8");
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: data,
              text,
              json: <T>() => JSON.parse(text) as T,
            });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  /** Polls `/app/tx` until `txid` is Committed (a signature covers it), as CCF clients do. */
  async waitForCommit(txid: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await this.request(`/app/tx?transaction_id=${txid}`);
      const status = reply.json<{ status: string }>().status;
      if (status === "Committed") return;
      if (status === "Invalid") throw new Error(`Transaction ${txid} is Invalid`);
      if (Date.now() > deadline) throw new Error(`Transaction ${txid} is still ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
