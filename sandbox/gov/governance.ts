/**
 * Runs governance JavaScript as CCF does (ccf-runtime.md §4.3): the constitution's `validate` and
 * `resolve` and each ballot's `vote` read-only, the constitution's `apply` in the governance apply
 * context with the governance-only globals. Each call gets a fresh interpreter, with the runtime
 * options but never below CCF's defaults.
 */
import type { Node } from "../enclave/node.js";
import { DEFAULT_RUNTIME_OPTIONS, readRuntimeOptions } from "../enclave/tables.js";
import { Transaction } from "../kv/tx.js";
import type { HostValue } from "../quickjs/marshal.js";
import {
  Execution,
  Interpreter,
  type ExecutionFailure,
  type RuntimeLimits,
} from "../quickjs/interpreter.js";
import { GovernanceEffects } from "./effects.js";
import { pendingView } from "./kv.js";

/** The name the constitution module is loaded under (CCF names it after its table). */
export const CONSTITUTION_MODULE = "public:ccf.gov.constitution[0]";

/** Why a piece of governance code failed: CCF's `Failure {reason, trace}`. */
export interface Failure {
  reason: string;
  trace?: string;
}

export type JsOutcome = { ok: true; value: HostValue } | { ok: false; failure: Failure };

function failureOf(result: ExecutionFailure): Failure {
  if (result.reason === "timeout") return { reason: "Operation took too long to complete." };
  if (result.exception) {
    const failure: Failure = { reason: result.exception.message };
    if (result.exception.trace) failure.trace = result.exception.trace;
    return failure;
  }
  return { reason: result.message };
}

export class ConstitutionRunner {
  constructor(private readonly node: Node) {}

  private limits(): RuntimeLimits {
    const options = readRuntimeOptions(this.node.store.current);
    return {
      maxHeapBytes: Math.max(options.max_heap_bytes, DEFAULT_RUNTIME_OPTIONS.max_heap_bytes),
      maxStackBytes: Math.max(options.max_stack_bytes, DEFAULT_RUNTIME_OPTIONS.max_stack_bytes),
      maxExecutionTimeMs: Math.max(
        options.max_execution_time_ms,
        DEFAULT_RUNTIME_OPTIONS.max_execution_time_ms,
      ),
    };
  }

  /** Calls `name` exported by the module `source`, with `tx` as `ccf.kv`. */
  private call(
    tx: Transaction,
    moduleName: string,
    source: string,
    name: string,
    args: HostValue[],
    effects?: GovernanceEffects,
  ): JsOutcome {
    const services = effects
      ? { ...this.node.services, governanceEffect: effects.run.bind(effects) }
      : this.node.services;
    const interpreter = new Interpreter(
      this.node.wasm,
      (requested) => (requested === moduleName ? source : undefined),
      services,
      this.limits(),
      true,
    );
    try {
      const result = interpreter.callFunction(new Execution(tx), moduleName, name, args);
      return result.ok
        ? { ok: true, value: result.value }
        : { ok: false, failure: failureOf(result) };
    } finally {
      interpreter.dispose();
    }
  }

  /** A read-only transaction over `tx`'s state, pending writes included. */
  private readOnly(tx: Transaction): Transaction {
    return new Transaction(pendingView(tx, this.node.store.current), "gov-readonly");
  }

  validate(tx: Transaction, constitution: string, proposal: string): JsOutcome {
    return this.call(this.readOnly(tx), CONSTITUTION_MODULE, constitution, "validate", [proposal]);
  }

  vote(
    tx: Transaction,
    moduleName: string,
    ballot: string,
    proposal: string,
    proposerId: string,
  ): JsOutcome {
    return this.call(this.readOnly(tx), moduleName, ballot, "vote", [proposal, proposerId]);
  }

  resolve(
    tx: Transaction,
    constitution: string,
    proposal: string,
    proposerId: string,
    votes: { member_id: string; vote: boolean }[],
    proposalId: string,
  ): JsOutcome {
    return this.call(this.readOnly(tx), CONSTITUTION_MODULE, constitution, "resolve", [
      proposal,
      proposerId,
      votes,
      proposalId,
    ]);
  }

  /** `apply` writes into `tx` itself (the request's transaction), as CCF's GOV_RW context. */
  apply(tx: Transaction, constitution: string, proposal: string, proposalId: string): JsOutcome {
    return this.call(
      tx,
      CONSTITUTION_MODULE,
      constitution,
      "apply",
      [proposal, proposalId],
      new GovernanceEffects(tx),
    );
  }
}
