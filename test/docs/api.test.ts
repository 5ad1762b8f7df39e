/** docs/api.md is the governance route table as it is now, and says what each route needs. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  API_PAGE,
  APP_JSON,
  renderApiReference,
  renderApiReferenceFromRepo,
  type AppJson,
} from "../../scripts/docs/api-reference.js";
import { repoPath } from "../../scripts/docs/markdown.js";
import { assertPageCurrent } from "./reference.js";

describe("docs/api.md", function () {
  it("is what the generator produces from the current app.json", async function () {
    assertPageCurrent(API_PAGE, await renderApiReferenceFromRepo());
  });

  it("lists every route of app.json once, with its principals and policies", async function () {
    const app = JSON.parse(readFileSync(repoPath(APP_JSON), "utf8")) as AppJson;
    const page = await renderApiReference(app);
    for (const [path, methods] of Object.entries(app.endpoints)) {
      for (const [method, route] of Object.entries(methods)) {
        const name = `\`${method.toUpperCase()} /app${path}\``;
        const rows = page.split("\n").filter((l) => l.startsWith(`| ${name} `));
        assert.equal(rows.length, 1, `${name} should have one row`);
        for (const principal of route.openapi?.["x-principals"] ?? []) {
          assert.match(rows[0]!, new RegExp(`\\b${principal}\\b`), `${name} lists ${principal}`);
        }
        assert.ok(rows[0]!.includes(route.authn_policies.join(", ")), `${name} policies`);
      }
    }
  });

  it("describes query parameters and escapes table separators", async function () {
    const page = await renderApiReference({
      endpoints: {
        "/things": {
          get: {
            js_module: "endpoints/things.js",
            js_function: "listThings",
            authn_policies: ["member_cert"],
            mode: "readonly",
            openapi: {
              summary: "Things: Open | Closed",
              "x-principals": ["member"],
              parameters: [
                { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 9 } },
                {
                  name: "state",
                  in: "query",
                  schema: { type: "string", enum: ["Open", "Closed"] },
                },
              ],
            },
          },
        },
      },
    });
    assert.match(page, /## things/);
    assert.match(page, /Open \\\| Closed/);
    assert.match(
      page,
      /`limit` \(query, integer, 1 to 9\); `state` \(query, one of `Open`, `Closed`\)/,
    );
  });
});
