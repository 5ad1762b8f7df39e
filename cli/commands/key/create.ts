/** `cleanroom key create`: the key-encryption key that dataset owners wrap their DEKs to. */
import type { Command } from "commander";
import { contextOf, defineCommand } from "../../command.js";
import type { Context } from "../../context.js";
import { refusal } from "../proposal/common.js";

export interface KeyView {
  kekId: string;
  generation: number;
  createdAt: string;
  current: boolean;
}

export async function runKeyCreate(ctx: Context): Promise<KeyView> {
  const client = ctx.governance();
  try {
    const { kekId, generation, createdAt, current } = await client.app.createKek();
    const view = { kekId, generation, createdAt, current };
    ctx.out.result(
      view,
      `Key-encryption key ${kekId} (generation ${generation}) is ready: owners can publish datasets.`,
    );
    return view;
  } catch (error) {
    throw refusal(error, {
      MemberRequired: "only a member makes key-encryption keys: use a member profile (--profile)",
    });
  } finally {
    client.close();
  }
}

export function keyCreateCommand(): Command {
  return defineCommand("create", {
    summary: "make the current key-encryption key inside governance (members)",
    description:
      "Asks governance to generate the key-encryption key (RSA-OAEP) of the current generation.\n" +
      "Its private key never leaves governance; dataset owners wrap their DEKs to its public key\n" +
      "when they publish, and governance re-wraps a DEK only to an attested clean room. Running it\n" +
      "again returns the existing key until members rotate it (proposal `rotate_kek`).",
    examples: ["cleanroom key create", "cleanroom key create --profile operator --json"],
  }).action(async (_options: unknown, command: Command) => {
    await runKeyCreate(contextOf(command));
  });
}
