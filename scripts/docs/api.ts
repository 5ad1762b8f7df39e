/** `node dist/scripts/docs/api.js`: writes docs/api.md from the governance app's route table. */
import { API_PAGE, renderApiReferenceFromRepo } from "./api-reference.js";
import { writePage } from "./markdown.js";

writePage(API_PAGE, await renderApiReferenceFromRepo());
