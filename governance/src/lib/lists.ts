// Append-only lists of ids, paged by position: reading a page costs the same whatever the list's
// length (KV maps have no order, so a scan would grow with the list).
import { ccf } from "@microsoft/ccf-app/global.js";
import { Tables } from "../tables.js";

export interface Page {
  items: string[];
  /** Position of the next page's first item, if any. */
  next?: number;
}

const countKey = (list: string) => ccf.strToBuf(`${list}#count`);
const itemKey = (list: string, position: number) => ccf.strToBuf(`${list}#${position}`);

function table() {
  return ccf.kv[Tables.lists]!;
}

/** The number of items appended to `list` so far. */
export function listLength(list: string): number {
  const raw = table().get(countKey(list));
  return raw === undefined ? 0 : (ccf.bufToJsonCompatible(raw) as number);
}

/** Appends `id` to `list` and returns its position (0-based). */
export function appendToList(list: string, id: string): number {
  const position = listLength(list);
  table().set(itemKey(list, position), ccf.strToBuf(id));
  table().set(countKey(list), ccf.jsonCompatibleToBuf(position + 1));
  return position;
}

/** Up to `limit` ids from position `start`. */
export function listPage(list: string, start: number, limit: number): Page {
  const length = listLength(list);
  const items: string[] = [];
  const end = Math.min(length, start + limit);
  for (let position = start; position < end; position++) {
    const raw = table().get(itemKey(list, position));
    if (raw !== undefined) items.push(ccf.bufToStr(raw));
  }
  return end < length ? { items, next: end } : { items };
}

/** `{value, nextLink?}` for a page, `nextLink` being `path` with `start` set to the next page. */
export function pageBody<T>(value: T[], page: Page, path: string, limit: number): object {
  if (page.next === undefined) return { value };
  const separator = path.includes("?") ? "&" : "?";
  return { value, nextLink: `${path}${separator}start=${page.next}&limit=${limit}` };
}
