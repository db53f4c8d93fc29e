/**
 * SQL building blocks for `COPY (SELECT ...) TO STDOUT (FORMAT csv, HEADER)`:
 * PostgreSQL does the RFC 4180 quoting and, through these expressions, the
 * spreadsheet safety and the timestamp rendering, so Node only moves bytes.
 */

/**
 * Spreadsheet safety (OWASP CSV injection): a text cell starting with `=`, `+`, `-`,
 * `@`, tab or carriage return gets a leading `'` so it opens as text. A whole-cell
 * E.164 phone number (`+` and digits only) is kept as it is: it carries no formula.
 */
export function safeText(expression: string): string {
  // ascii() of the first character is far cheaper than a regular expression on every cell,
  // and the E.164 test runs only for cells that start with "+". It is written without a
  // regular expression too: in a message history every destination starts with "+", and
  // `~ '^\+[1-9][0-9]{1,14}$'` cost about 1 µs a cell, 2-3 times these three tests.
  // "+" then 2-15 characters, all ASCII digits (nothing is left once trailing digits are
  // trimmed, so every character after the "+" is a digit and the octet length is the
  // character count), the first of them not 0.
  const e164 = `(octet_length(${expression}) BETWEEN 3 AND 16 AND rtrim(${expression}, '0123456789') = '+' AND ${expression} NOT LIKE '+0%')`;
  return `CASE WHEN ascii(${expression}) IN (61, 45, 64, 9, 13) OR (ascii(${expression}) = 43 AND NOT ${e164}) THEN '''' || ${expression} ELSE ${expression} END`;
}

/**
 * ISO-8601 with milliseconds and the offset of the session time zone, which the
 * export sets with `SET LOCAL TIME ZONE` (e.g. 2026-03-29T03:00:00.000+02:00).
 */
export function isoTimestamp(expression: string): string {
  return `to_char(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS.MSTZH:TZM')`;
}

/** A double-quoted SQL identifier used as a CSV header name. */
export function header(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new Error(`Unexpected CSV header name ${name}`);
  return `"${name}"`;
}

/** `expression AS "name"` pairs joined into a select list, in column order. */
export function selectList(columns: ReadonlyArray<readonly [name: string, expression: string]>): string {
  return columns.map(([name, expression]) => `${expression} AS ${header(name)}`).join(',\n  ');
}

/** Rule for the README and tests: the same rule as {@link safeText}, in TypeScript. */
export function spreadsheetSafe(value: string): string {
  return /^[-=+@\t\r]/.test(value) && !/^\+[1-9][0-9]{1,14}$/.test(value) ? `'${value}` : value;
}
