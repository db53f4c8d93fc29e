import { randomUUID } from 'node:crypto';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { accountSubject, Subjects } from '@exports/contracts';
import { CreatedAccount } from '@exports/database';
import { TestStack } from '@exports/testing';

/** exports.create / exports.get / exports.list over NATS request-reply, as another service calls them. */
describe('exports request-reply (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway', 'export-worker'] });
  let client: ClientProxy;
  let a: CreatedAccount;
  let b: CreatedAccount;

  /** On the subject of the account the payload names (a random one when it names none). */
  const call = async (subject: string, data: unknown): Promise<{ ok: boolean; body: any }> => {
    const { accountId } = (typeof data === 'object' && data !== null ? data : {}) as { accountId?: unknown };
    const scoped = accountSubject(subject, typeof accountId === 'string' && accountId ? accountId : randomUUID());
    try {
      return { ok: true, body: await firstValueFrom(client.send(stack.namespace.subject(scoped), data)) };
    } catch (error) {
      return { ok: false, body: error };
    }
  };

  beforeAll(async () => {
    await stack.start();
    a = await stack.createAccount('A');
    b = await stack.createAccount('B');
    client = ClientProxyFactory.create({ transport: Transport.NATS, options: stack.natsOptions() });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await stack.stop();
  }, 60_000);

  it('creates, lists and links an export for the named account only', async () => {
    const created = await call(Subjects.requests.exportsCreate, { accountId: a.accountId, type: 'CONTACTS', request: { listIds: ['vip'] } });
    expect(created.ok).toBe(true);
    expect(created.body).toMatchObject({ type: 'CONTACTS', status: 'PENDING', filters: { listIds: ['vip'] } });

    // Whatever its state, exports.get answers the export (PENDING with its progress), never an error.
    const early = await call(Subjects.requests.exportsGet, { accountId: a.accountId, exportId: created.body.exportId });
    expect(early.ok).toBe(true);
    expect(early.body).toMatchObject({ exportId: created.body.exportId, type: 'CONTACTS', filters: { listIds: ['vip'] } });
    if (early.body.status === 'PENDING') {
      expect(early.body).toMatchObject({ isAvailableForDownload: false, progress: { rowsExported: 0 } });
      expect(early.body.downloadUrl).toBeUndefined();
    }

    const done = await stack.waitForExport(a.apiKey, created.body.exportId);
    expect(done.status).toBe('COMPLETED');
    const link = await call(Subjects.requests.exportsGet, { accountId: a.accountId, exportId: created.body.exportId });
    expect(link.ok).toBe(true);
    const { downloadUrl, expiresAt, files, ...resource } = link.body;
    expect({ ...resource, files: files.map(({ downloadUrl: _link, ...file }: { downloadUrl: string }) => file) }).toEqual(done);
    expect(files[0].downloadUrl).toBe(downloadUrl);
    expect(resource).toMatchObject({ exportId: created.body.exportId, status: 'COMPLETED', rowCount: 0, sha256: done.sha256 });
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    expect((await fetch(downloadUrl)).status).toBe(200);

    const listA = await call(Subjects.requests.exportsList, { accountId: a.accountId, limit: 100 });
    expect(listA.body.items.map((i: { exportId: string }) => i.exportId)).toContain(created.body.exportId);

    const listB = await call(Subjects.requests.exportsList, { accountId: b.accountId });
    expect(listB.body).toMatchObject({ items: [], page: 0, limit: 10, totalItems: 0 });
    const foreign = await call(Subjects.requests.exportsGet, { accountId: b.accountId, exportId: created.body.exportId });
    expect(foreign).toEqual({ ok: false, body: { status: 404, error: 'Not Found', code: 'NOT_FOUND', message: `Export ${created.body.exportId} was not found` } });
  });

  it('takes the file options in exports.create, as HTTP does', async () => {
    const created = await call(Subjects.requests.exportsCreate, { accountId: a.accountId, type: 'CONTACTS', request: { format: 'jsonl.gz', columns: ['phoneNumber', 'id'], maxRowsPerFile: 5 } });
    expect(created.ok).toBe(true);
    expect(created.body).toMatchObject({ format: 'jsonl.gz', columns: ['phoneNumber', 'id'], maxRowsPerFile: 5, filters: {} });
    const done = await stack.waitForExport(a.apiKey, created.body.exportId);
    expect(done).toMatchObject({ status: 'COMPLETED', files: [expect.objectContaining({ part: 1, fileName: expect.stringMatching(/\.jsonl\.gz$/) })] });
  });

  it('gives back the same export for the same idempotency key', async () => {
    const request = { accountId: a.accountId, type: 'CONTACTS', request: {}, idempotencyKey: `rpc-${randomUUID()}` };
    const first = await call(Subjects.requests.exportsCreate, request);
    const second = await call(Subjects.requests.exportsCreate, request);
    expect(second.body.exportId).toBe(first.body.exportId);
    const other = await call(Subjects.requests.exportsCreate, { ...request, request: { listIds: ['x'] } });
    expect(other).toEqual({
      ok: false,
      body: { status: 409, error: 'Conflict', code: 'IDEMPOTENCY_CONFLICT', message: 'This Idempotency-Key was already used with a different request; use a new key for a new export' },
    });
  });

  it('takes plain dates as the bounds of exports.create, resolved in the request time zone, and echoes the date-times', async () => {
    const created = await call(Subjects.requests.exportsCreate, {
      accountId: a.accountId,
      type: 'MESSAGE_HISTORY',
      request: { startDateTime: '2026-04-01', endDateTime: '2026-04-30', timezone: 'Europe/Paris' },
    });
    expect(created.ok).toBe(true);
    expect(created.body).toMatchObject({
      type: 'MESSAGE_HISTORY',
      status: 'PENDING',
      filters: { startDateTime: '2026-04-01T00:00:00.000+02:00', endDateTime: '2026-04-30T23:59:59.999999+02:00' },
    });
    const read = await call(Subjects.requests.exportsGet, { accountId: a.accountId, exportId: created.body.exportId });
    expect(read.body.filters).toEqual(created.body.filters);
  });

  it.each([
    [Subjects.requests.exportsCreate, { type: 'CONTACTS', request: {} }, 'accountId'],
    [Subjects.requests.exportsCreate, { accountId: 'nope', type: 'CONTACTS', request: {} }, 'accountId'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'EVERYTHING', request: {} }, 'type'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'CONTACTS', request: { listIds: 'vip' } }, 'listIds'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'CONTACTS', request: { extra: 1 } }, 'extra'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'DELIVERY_REPORTS', request: {} }, 'campaignId'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'MESSAGE_HISTORY', request: { startDateTime: '2026-01-01T00:00:00', endDateTime: '2026-01-02T00:00:00Z' } }, 'startDateTime'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'MESSAGE_HISTORY', request: { startDateTime: '2026-01-01', endDateTime: '2026-02-30' } }, 'endDateTime'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'CONTACTS', request: {}, idempotencyKey: '' }, 'idempotencyKey'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'CONTACTS', request: { format: 'xml' } }, 'format'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'CONTACTS', request: { columns: ['id', 'body'] } }, 'columns'],
    [Subjects.requests.exportsCreate, { accountId: randomUUID(), type: 'CONTACTS', request: { maxRowsPerFile: 1_048_576 } }, 'maxRowsPerFile'],
    [Subjects.requests.exportsGet, { accountId: randomUUID(), exportId: 'x' }, 'exportId'],
    [Subjects.requests.exportsList, { accountId: randomUUID(), limit: 1000 }, 'limit'],
    [Subjects.requests.exportsList, { accountId: randomUUID(), unknown: true }, 'unknown'],
  ])('%s refuses %j naming %s', async (subject, data, field) => {
    const reply = await call(subject, data);
    expect(reply.ok).toBe(false);
    expect(reply.body).toMatchObject({ status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
    expect(reply.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('refuses payloads that are not objects', async () => {
    for (const data of ['text', 42, [1, 2]]) {
      const reply = await call(Subjects.requests.exportsList, data);
      expect(reply).toEqual({ ok: false, body: { status: 400, error: 'Bad Request', code: 'VALIDATION_FAILED', message: 'The request must be a JSON object' } });
    }
    // null cannot go through Nest's client; a raw request, as a non-Nest service would send it.
    const nc = await stack.natsConnection();
    {
      const subject = stack.namespace.subject(accountSubject(Subjects.requests.exportsList, a.accountId));
      const raw = await nc.request(subject, JSON.stringify({ pattern: subject, data: null, id: 'raw-1' }), { timeout: 5000 });
      expect(JSON.parse(raw.string())).toMatchObject({ id: 'raw-1', err: { status: 400, code: 'VALIDATION_FAILED', message: 'The request must be a JSON object' } });
    }
  });
});
