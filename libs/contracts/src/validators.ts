import { registerDecorator, ValidationOptions } from 'class-validator';

/** ISO-8601 date-time that names its offset (`Z` or `±hh:mm`); date-only or local times are refused. */
export const ISO_DATE_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function isIsoDateTimeWithOffset(value: unknown): value is string {
  return typeof value === 'string' && ISO_DATE_TIME_WITH_OFFSET.test(value) && !Number.isNaN(Date.parse(value)) && isOnTheCalendar(value);
}

/** The two digits at `index` (the format is already checked). */
function twoDigits(value: string, index: number): number {
  return (value.charCodeAt(index) - 48) * 10 + value.charCodeAt(index + 1) - 48;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Date.parse rolls 2026-02-30 over to March 2 where PostgreSQL refuses it, so a value that
 * passed validation could fail a whole ingestion batch or a query: check each field's range.
 * Read by position from a value of the ISO_DATE_TIME_WITH_OFFSET format, without allocating
 * (every event of an ingestion batch passes here).
 */
function isOnTheCalendar(value: string): boolean {
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const seconds = value.charCodeAt(16) === 58 /* : */ ? twoDigits(value, 17) : 0;
  const zulu = value.charCodeAt(value.length - 1) === 90; /* Z */
  const offsetHours = zulu ? 0 : twoDigits(value, value.length - 5);
  const offsetMinutes = zulu ? 0 : twoDigits(value, value.length - 2);
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth &&
    twoDigits(value, 11) <= 23 && twoDigits(value, 14) <= 59 && seconds <= 59 && offsetHours <= 14 && offsetMinutes <= 59;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function IsIsoDateTimeWithOffset(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isIsoDateTimeWithOffset',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: '$property must be an ISO-8601 date-time with an offset, e.g. 2026-01-01T00:00:00+01:00 or 2026-01-01T00:00:00Z',
        ...options,
      },
      validator: { validate: isIsoDateTimeWithOffset },
    });
}

const IANA_NAME = /^(UTC|[A-Za-z]+(\/[A-Za-z0-9_+-]+){1,2})$/;

/** Names already found valid by the runtime: a formatter per check is costly, and the valid names are a few hundred. */
const knownTimeZones = new Set<string>();

/**
 * The names the database knows (`pg_timezone_names`), installed once at start by the apps.
 * The runtime knows aliases the database does not (US/Pacific-New), and a name only the
 * runtime knows would be accepted here and refused by PostgreSQL later. Kept here, not
 * loaded here: contracts do no I/O.
 */
let databaseTimeZones: ReadonlySet<string> | undefined;

/** Makes {@link isIanaTimeZone} accept only these names (as well as the runtime's); `undefined` lifts the rule. */
export function useDatabaseTimeZones(names: Iterable<string> | undefined): void {
  databaseTimeZones = names === undefined ? undefined : new Set(names);
}

export function isIanaTimeZone(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (databaseTimeZones && !databaseTimeZones.has(value)) return false;
  if (knownTimeZones.has(value)) return true;
  if (!IANA_NAME.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    return false;
  }
  knownTimeZones.add(value);
  return true;
}

export function IsIanaTimeZone(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isIanaTimeZone',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must be an IANA time zone name, spelt as PostgreSQL lists it, such as Europe/Paris or UTC', ...options },
      validator: { validate: isIanaTimeZone },
    });
}

/** C0 control characters (NUL included) and DEL: PostgreSQL refuses NUL in text and JSON, and none belongs in a filter. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text that can be stored: no control characters, no lone UTF-16 surrogates (not encodable as UTF-8). */
export function isStorableText(value: unknown): value is string {
  return typeof value === 'string' && !CONTROL_CHARACTER.test(value) && !LONE_SURROGATE.test(value);
}

export function IsStorableText(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isStorableText',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must be text without control characters (such as NUL) or unpaired surrogates', ...options },
      validator: { validate: isStorableText },
    });
}

/** E.164: a plus sign and up to 15 digits, the first not zero. */
export const E164 = /^\+[1-9]\d{1,14}$/;
