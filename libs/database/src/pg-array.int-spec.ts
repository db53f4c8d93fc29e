import { Client } from 'pg';
import { ensureDatabase } from './data-source';
import { pgArray } from './pg-array';
import { scratchDatabase } from './testing/scratch-database';

/** What PostgreSQL reads back from pgArray is the array it was given, for every kind of text. */
describe('pgArray (PostgreSQL)', () => {
  const database = scratchDatabase('pgarray');
  let client: Client;

  beforeAll(async () => {
    await ensureDatabase(database.url);
    client = new Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database.drop();
  });

  it('round-trips text with delimiters, quotes, backslashes, spaces, NULL look-alikes and non-ASCII', async () => {
    const texts = [
      'plain', '', ' ', '  padded  ', 'NULL', 'null', 'NuLl', 'a,b', '{braces}', '}', '"', 'say "hi"', '\\', 'C:\\dir\\"x"',
      'tab\there', 'line\nbreak', 'cr\rlf', '\u000b\f', 'émoji 🎉', '=1+2', "it's", null, '中文', '\u00a0nbsp',
    ];
    const { rows } = await client.query<{ values: (string | null)[] }>('SELECT $1::text[] AS values', [pgArray(texts)]);
    expect(rows[0].values).toEqual(texts);
  });

  it('round-trips uuids, zoned timestamps, numerics and integers', async () => {
    const { rows } = await client.query(
      `SELECT $1::uuid[] AS ids, (SELECT array_agg(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS')) FROM unnest($2::timestamptz[]) t) AS ats,
              $3::numeric(14,6)[]::text[] AS costs, $4::int[] AS parts`,
      [
        pgArray(['0c68a5a6-2a1a-418e-bcac-befa23e35773']),
        pgArray(['2026-01-01T01:00:00.123+01:00', '2026-02-28T23:59:59Z']),
        pgArray([0.045, 1e-7, 99_999_999.999999, null]),
        pgArray([1, 2147483647]),
      ],
    );
    expect(rows[0]).toEqual({
      ids: ['0c68a5a6-2a1a-418e-bcac-befa23e35773'],
      ats: ['2026-01-01T00:00:00.123', '2026-02-28T23:59:59.000'],
      costs: ['0.045000', '0.000000', '99999999.999999', null],
      parts: [1, 2147483647],
    });
  });
});
