/**
 * Which tables a piece of code may read or write, as CCF decides it from the table's name and the
 * execution context (an app endpoint's mode, or a governance phase).
 */

export type ExecutionContext =
  | "app-readwrite"
  | "app-readonly"
  | "gov-readonly" // constitution validate/resolve and ballots
  | "gov-apply";

export type Access = "none" | "read" | "write" | "read-write";

export type TableNamespace =
  | "public-app"
  | "private-app"
  | "public-gov"
  | "public-internal"
  | "private-gov-or-internal"
  | "reserved";

export function tableNamespace(name: string): TableNamespace {
  const isPublic = name.startsWith("public:");
  const bare = isPublic ? name.slice("public:".length) : name;
  if (bare.startsWith("ccf.gov.")) return isPublic ? "public-gov" : "private-gov-or-internal";
  if (bare.startsWith("ccf.internal."))
    return isPublic ? "public-internal" : "private-gov-or-internal";
  if (bare.startsWith("ccf.")) return "reserved";
  return isPublic ? "public-app" : "private-app";
}

const MATRIX: Record<ExecutionContext, Record<TableNamespace, Access>> = {
  "app-readwrite": {
    "public-app": "read-write",
    "private-app": "read-write",
    "public-gov": "read",
    "public-internal": "read",
    "private-gov-or-internal": "none",
    reserved: "none",
  },
  "app-readonly": {
    "public-app": "read",
    "private-app": "read",
    "public-gov": "read",
    "public-internal": "read",
    "private-gov-or-internal": "none",
    reserved: "none",
  },
  "gov-readonly": {
    "public-app": "none",
    "private-app": "none",
    "public-gov": "read",
    "public-internal": "read",
    "private-gov-or-internal": "none",
    reserved: "none",
  },
  "gov-apply": {
    "public-app": "write",
    "private-app": "none",
    "public-gov": "read-write",
    "public-internal": "read",
    "private-gov-or-internal": "none",
    reserved: "none",
  },
};

export function accessTo(context: ExecutionContext, table: string): Access {
  return MATRIX[context][tableNamespace(table)];
}

const CONTEXT_NAMES: Record<ExecutionContext, string> = {
  "app-readwrite": "read-write application",
  "app-readonly": "read-only application",
  "gov-readonly": "read-only governance",
  "gov-apply": "governance apply",
};

/** The TypeError message CCF gives when a map method is not allowed in this context. */
export function deniedMessage(method: string, table: string, context: ExecutionContext): string {
  const access = accessTo(context, table);
  const what =
    tableNamespace(table) === "reserved"
      ? "This table name is reserved"
      : access === "none"
        ? "This table is not accessible"
        : access === "read"
          ? "This table is read-only"
          : "This table is write-only";
  return `Cannot call ${method} on table named ${table}. ${what} in current (${CONTEXT_NAMES[context]}) execution context.`;
}
