// The query engine's public entry: what the agent imports.
export { EngineError, QueryEngine } from "./engine.js";
export type * from "./types.js";
