// Extend's own TypeScript SDK adding evaluation-set items: the request it
// sends is the one reviewer's outbound worker must send. evalsets_test.go
// runs this against a server that records both, with:
//
//   EXTEND_URL    the recording server's base URL
//   EXTEND_KEY    the API key
//   EXTEND_SET    the evaluation set's id
//   EXTEND_ITEMS  JSON: the items reviewer sent, [{fileId, expectedOutput}]
//
// It prints the ids the SDK read from the answer, as JSON, on one line.
import { ExtendClient } from "extend-ai";

const env = process.env;
const client = new ExtendClient({ token: env.EXTEND_KEY, baseUrl: env.EXTEND_URL });
const created = await client.evaluationSetItems.create(env.EXTEND_SET, { items: JSON.parse(env.EXTEND_ITEMS) });
console.log(JSON.stringify(created.evaluationSetItems.map((i) => i.id)));
