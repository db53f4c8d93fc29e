/** An element PostgreSQL's array input would not read back as itself unless quoted: empty, `NULL`, delimiters, quotes, backslashes, spaces. */
const NEEDS_QUOTES = /^$|^null$|[{}",\\\s]/i;
const ESCAPED = /[\\"]/g;

/**
 * The text of a one-dimensional PostgreSQL array (`{a,"b c",NULL}`), for a parameter cast to
 * `text[]`, `uuid[]`, `timestamptz[]` and the like. It reads back the same values as the `pg`
 * driver's own conversion of a JS array, but is built in one join: the driver concatenates
 * element by element, which for a batch of column arrays was a fifth of everything ingestion
 * allocated. Only elements that need it are quoted.
 */
export function pgArray(values: ReadonlyArray<string | number | null | undefined>): string {
  return `{${values.map(pgArrayElement).join(',')}}`;
}

function pgArrayElement(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  const text = typeof value === 'number' ? String(value) : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(ESCAPED, '\\$&')}"` : text;
}
