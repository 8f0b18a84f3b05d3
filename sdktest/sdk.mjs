// Extend's own TypeScript SDK (npm extend-ai, pinned in package.json and
// package-lock.json) against a started reviewer: the code an integrator
// writes for Extend, with only the base URL and token changed. sdk_test.go
// starts reviewer, posts the runs and runs this with:
//
//   REVIEWER_URL     the base URL
//   REVIEWER_TOKEN   a supervisor's token (reads and metadata updates)
//   REVIEWER_READER  a reviewer's token (reads only)
//   REVIEWER_BURST   a fresh token, spent to reach the rate limit
//   REVIEWER_EXPECT  JSON: {reviewed, rejected, waiting, file, filters: [{query, ids}]}
//
// It prints a line per check and exits 1 at the first failure.
import { ExtendClient, Extend } from "extend-ai";

const env = process.env;
const expect = JSON.parse(env.REVIEWER_EXPECT);
const baseUrl = env.REVIEWER_URL;
const client = new ExtendClient({ token: env.REVIEWER_TOKEN, baseUrl });

function fail(what) {
  console.log("FAIL: " + what);
  process.exit(1);
}
function check(cond, what) {
  if (!cond) fail(what);
  console.log("ok: " + what);
}

// The members of each object in Extend's wire-test fixtures of the pinned
// SDK (extend-typescript-sdk tests/wire: workflowRuns.test.ts "list (1)"
// and "retrieve (1)", files.test.ts "retrieve (1)") and of its ApiError
// type. The SDK does not validate answers at run time, so the shapes are
// compared here.
const shapes = {
  list: ["object", "data"],
  summary: ["object", "id", "status", "workflow", "workflowVersion", "dashboardUrl", "reviewedByUser", "reviewedAt", "initialRunAt",
    "startTime", "endTime", "batchId", "rejectionNote", "files", "createdAt", "updatedAt", "usage"],
  run: ["object", "id", "workflow", "workflowVersion", "dashboardUrl", "status", "metadata", "batchId", "files", "failureReason",
    "failureMessage", "initialRunAt", "reviewedByUser", "reviewed", "rejectionNote", "reviewedAt", "startTime", "endTime", "stepRuns", "usage"],
  file: ["object", "id", "name", "type", "presignedUrl", "parentFileId", "contents", "metadata", "createdAt", "updatedAt"],
  error: ["code", "message", "retryable", "requestId"],
};

// shaped checks that obj has every member of the fixture's shape and, where
// exact, no other (a run keeps members Extend sent that the type lacks).
function shaped(obj, shape, what, exact = true) {
  const keys = Object.keys(obj);
  const missing = shapes[shape].filter((k) => !keys.includes(k));
  const extra = keys.filter((k) => !shapes[shape].includes(k) && !(shape === "list" && k === "nextPageToken"));
  if (missing.length > 0 || (exact && extra.length > 0)) {
    fail(`${what}: the ${shape} shape differs: missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`);
  }
}

// listAll pages workflowRuns.list to the end, two runs a page.
async function listAll(query) {
  const runs = [];
  let nextPageToken;
  for (let page = 0; ; page++) {
    const res = await client.workflowRuns.list({ ...query, maxPageSize: 2, nextPageToken });
    shaped(res, "list", "list " + JSON.stringify(query));
    if (res.data.length > 2) fail("a page holds more than maxPageSize");
    for (const r of res.data) {
      shaped(r, "summary", "summary " + r.id);
      runs.push(r);
    }
    if (!res.nextPageToken) return runs;
    if (page > 50) fail("the list does not end");
    nextPageToken = res.nextPageToken;
  }
}

// Every filter, paged to the end: the runs it names, in the order asked.
for (const f of expect.filters) {
  const runs = await listAll(f.query);
  const got = runs.map((r) => r.id).sort();
  const want = [...f.ids].sort();
  check(JSON.stringify(got) === JSON.stringify(want), `list ${JSON.stringify(f.query)} gives ${want.length} runs`);
  const key = f.query.sortBy || "updatedAt";
  const asc = f.query.sortDir === "asc";
  for (let i = 1; i < runs.length; i++) {
    const [a, b] = [runs[i - 1][key], runs[i][key]];
    if (asc ? a > b : a < b) fail(`list ${JSON.stringify(f.query)} is out of ${key} order at ${i}`);
  }
}

// A reviewed, a rejected and a waiting run.
function extractRun(run) {
  for (const s of run.stepRuns) {
    if (s.result && s.result.extractRun) return s.result.extractRun;
  }
  fail(run.id + " has no extract run");
}
const reviewed = await client.workflowRuns.retrieve(expect.reviewed);
shaped(reviewed, "run", "run " + reviewed.id, false);
const exr = extractRun(reviewed);
check(reviewed.status === "PROCESSED" && reviewed.reviewed === true && reviewed.reviewedByUser === "sup@example.com" &&
  reviewed.reviewedAt !== null && reviewed.endTime === reviewed.reviewedAt && reviewed.dashboardUrl === `${baseUrl}/runs/${reviewed.id}`,
"retrieve: the reviewed run is PROCESSED, reviewed by its reviewer, ended, and links to its page here");
check(exr.reviewed === true && exr.edited === true && exr.reviewedOutput.value.purchase_order === "PO-2014-0817" &&
  exr.output.value.purchase_order === "PO-2014-0817" && exr.initialOutput.value.purchase_order !== "PO-2014-0817" &&
  exr.edits.purchase_order.editedValue === "PO-2014-0817",
"retrieve: the reviewed run's extraction carries output, initialOutput, reviewedOutput, edited and edits");
const rejected = await client.workflowRuns.retrieve(expect.rejected);
shaped(rejected, "run", "run " + rejected.id, false);
check(rejected.status === "REJECTED" && rejected.reviewed === true && rejected.rejectionNote === "Not ours." && rejected.endTime !== null,
  "retrieve: the rejected run is REJECTED with its note");
const waiting = await client.workflowRuns.retrieve(expect.waiting);
shaped(waiting, "run", "run " + waiting.id, false);
check(waiting.status === "NEEDS_REVIEW" && waiting.reviewed === false && waiting.reviewedByUser === null && waiting.endTime === null,
  "retrieve: the waiting run needs review");

// Metadata merged over the run's.
const updated = await client.workflowRuns.update(expect.waiting, { metadata: { erpId: "ERP-1" } });
shaped(updated, "run", "updated run", false);
const again = await client.workflowRuns.retrieve(expect.waiting);
check(updated.metadata.erpId === "ERP-1" && again.metadata.erpId === "ERP-1" && again.metadata.source === "demo",
  "update: metadata merged over the run's, and read back");

// The document, through its short-lived link.
const file = await client.files.retrieve(expect.file);
shaped(file, "file", "file " + file.id);
const doc = await fetch(file.presignedUrl);
const bytes = Buffer.from(await doc.arrayBuffer());
check(doc.status === 200 && bytes.subarray(0, 5).toString() === "%PDF-", "files.retrieve: the presigned URL serves the document");

// The SDK's typed errors, each with Extend's error body.
async function refused(call, type, status, what) {
  try {
    await call();
  } catch (err) {
    if (!(err instanceof type) || err.statusCode !== status) fail(`${what}: ${err.constructor.name} ${err.statusCode} ${err.message}`);
    shaped(err.body, "error", what);
    if (!err.body.requestId.startsWith("req_") || err.body.message.length < 10) fail(`${what}: ${JSON.stringify(err.body)}`);
    console.log(`ok: ${what}: ${type.name} (${err.body.code}: ${err.body.message})`);
    return err;
  }
  fail(what + ": no error");
}
const once = { maxRetries: 0 };
await refused(() => new ExtendClient({ token: "rvw_not-a-token", baseUrl, ...once }).workflowRuns.list(), Extend.UnauthorizedError, 401, "an unknown token");
const key = await refused(() => new ExtendClient({ token: "sk_live_an-extend-key", baseUrl, ...once }).workflowRuns.list(), Extend.UnauthorizedError, 401, "an Extend key");
check(key.body.message.includes("Extend API key"), "an Extend key is named as such");
await refused(() => client.workflowRuns.create({ workflow: { id: "workflow_x" }, file: { url: "https://example.com/a.pdf" } }, once), Extend.ForbiddenError, 403, "create");
await refused(() => client.workflowRuns.createBatch({ workflow: { id: "workflow_x" }, inputs: [{ file: { url: "https://example.com/a.pdf" } }] }, once), Extend.ForbiddenError, 403, "createBatch");
await refused(() => client.workflowRuns.cancel(expect.waiting, {}, once), Extend.ForbiddenError, 403, "cancel");
await refused(() => client.workflowRuns.delete(expect.waiting, {}, once), Extend.ForbiddenError, 403, "delete");
const reader = new ExtendClient({ token: env.REVIEWER_READER, baseUrl, ...once });
await refused(() => reader.workflowRuns.update(expect.waiting, { metadata: { x: 1 } }), Extend.ForbiddenError, 403, "a reviewer's token updating");
await refused(() => client.workflowRuns.retrieve("workflow_run_missing", {}, once), Extend.NotFoundError, 404, "an unknown run");
await refused(() => client.files.retrieve("file_missing", {}, once), Extend.NotFoundError, 404, "an unknown file");

// Past the burst: calls go out in waves until one is refused 429 (each
// wave is far more than the rate refills while it runs).
const burst = new ExtendClient({ token: env.REVIEWER_BURST, baseUrl, ...once });
let limited;
for (let wave = 0; wave < 50 && !limited; wave++) {
  const results = await Promise.allSettled(Array.from({ length: 100 }, () => burst.workflowRuns.retrieve(expect.waiting)));
  limited = results.find((r) => r.status === "rejected");
}
if (!limited) fail("no call was refused 429");
const err = await refused(() => Promise.reject(limited.reason), Extend.TooManyRequestsError, 429, "past the rate limit");
check(err.body.code === "RATE_LIMIT_EXCEEDED" && err.body.retryable === true && Number(err.rawResponse.headers.get("retry-after")) >= 1,
  "429 says RATE_LIMIT_EXCEEDED, retryable, with Retry-After");

console.log("sdk: all checks passed");
