import { Client } from 'pg';
import { isoTimestamp, safeText, spreadsheetSafe } from './csv-sql';

/** The SQL that writes the files and the TypeScript rule in the README agree, cell by cell. */
describe('csv SQL expressions (PostgreSQL)', () => {
  const client = new Client({ connectionString: process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });

  beforeAll(() => client.connect());
  afterAll(() => client.end());

  const values = [
    '=1+1', '+1+2', '-3', '@SUM(A1)', '\tx', '\rx', '+33612345678', '+0612', '+123456789012345678', '+1', '+12',
    'plain', '', ' =x', 'a=b', '日本', '🎉=', "'already", '-', '+', '=',
    // The E.164 exemption at its edges: 15 digits, 16, a leading 0, a second "+", other characters.
    '+123456789012345', '+1234567890123456', '+0', '+00', '++33612345678', '+33 612345678', '+3361234567a', '+33612345678\n',
    '+٣٣٦١٢', '+12%', '+1_2', '+1+', '+1\t',
  ];

  it.each(values)('safeText(%j) matches spreadsheetSafe', async (value) => {
    const { rows } = await client.query(`SELECT ${safeText('$1::text')} AS cell`, [value]);
    expect(rows[0].cell).toBe(spreadsheetSafe(value));
  });

  it('keeps NULL as NULL (an empty cell)', async () => {
    const { rows } = await client.query(`SELECT ${safeText('NULL::text')} AS cell`);
    expect(rows[0].cell).toBeNull();
  });

  it('renders timestamps with the offset of the session zone, across a DST change', async () => {
    await client.query(`SET TIME ZONE 'Europe/Paris'`);
    const { rows } = await client.query(
      `SELECT ${isoTimestamp(`'2026-03-29T00:59:59.5Z'::timestamptz`)} AS before, ${isoTimestamp(`'2026-03-29T01:00:00Z'::timestamptz`)} AS after`,
    );
    expect(rows[0]).toEqual({ before: '2026-03-29T01:59:59.500+01:00', after: '2026-03-29T03:00:00.000+02:00' });
    await client.query('RESET TIME ZONE');
  });
});
