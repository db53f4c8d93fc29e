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
  // ascii() of the first character is far cheaper than a regular expression on every
  // cell; the E.164 test runs only for cells that start with "+".
  return `CASE WHEN ascii(${expression}) IN (61, 45, 64, 9, 13) OR (ascii(${expression}) = 43 AND ${expression} !~ '^\\+[1-9][0-9]{1,14}$') THEN '''' || ${expression} ELSE ${expression} END`;
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
