/** `cleanroom key list`: governance's key-encryption keys (public parts only). */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { refusal } from "../proposal/common.js";
import type { KeyView } from "./create.js";

export async function runKeyList(ctx: Context): Promise<KeyView[]> {
  const client = ctx.governance();
  try {
    const keys: KeyView[] = [];
    for await (const { kekId, generation, createdAt, current } of client.app.items(
      client.app.listKeks(),
    )) {
      keys.push({ kekId, generation, createdAt, current });
    }
    if (keys.length === 0 && !ctx.out.json) {
      ctx.out.note("No key-encryption key yet: a member runs `cleanroom key create`.");
    }
    ctx.out.table(keys, [
      { header: "id", value: (k) => k.kekId },
      { header: "generation", value: (k) => String(k.generation) },
      { header: "current", value: (k) => (k.current ? "yes" : "") },
      { header: "created", value: (k) => k.createdAt },
    ]);
    return keys;
  } catch (error) {
    throw refusal(error);
  } finally {
    client.close();
  }
}

export function keyListCommand(): Command {
  return defineCommand("list", {
    summary: "list the key-encryption keys",
    description:
      "Lists governance's key-encryption keys with their generation and which one is current\n" +
      "(new datasets are wrapped to the current one; older keys stay for datasets wrapped to them).",
    examples: ["cleanroom key list", "cleanroom key list --json"],
  }).action(async (_options: unknown, command: Command) => {
    await runKeyList(contextOf(command));
  });
}
