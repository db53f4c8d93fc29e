import { checkRecordedResponses, describeCheck } from '../src/openapi-responses';

jest.setTimeout(180_000);

// Every response the file's tests received from the gateway (through TestStack) must satisfy
// docs/openapi.json: a documented status, a body of its schema, valid documented headers.
// A hook of the root block: it runs once the file's tests and its describe blocks' hooks are done.
afterAll(async () => {
  const check = await checkRecordedResponses();
  if (check.checked || check.skipped.size) console.info(describeCheck(check));
}, 60_000);
