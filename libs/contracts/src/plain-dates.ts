import { registerDecorator, ValidationOptions } from 'class-validator';
import { isIsoDateTimeWithOffset } from './validators';

/**
 * Plain dates (`2026-04-01`) in request bounds: integrators write them, and "from April 1st to
 * April 30th" means whole days. A lower bound stands for the start of its day, an upper bound
 * for its end (inclusive, to the microsecond PostgreSQL keeps), in the request's time zone.
 * Pure: the zone's offsets come from the runtime's time-zone data (Intl).
 */
export const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isPlainDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = PLAIN_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = utcDate(year, month, day);
  // From year 1000: a day of year 1 east of UTC would start in year 0, which PostgreSQL refuses.
  return year >= 1000 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** What a date bound may be: a date-time with an offset, or a plain date. */
export function isDateBound(value: unknown): value is string {
  return isIsoDateTimeWithOffset(value) || isPlainDate(value);
}

/** A bound of a date range: a date-time with an offset, or a plain date (resolved by {@link resolveDateBound}). */
export function IsDateBound(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isDateBound',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: '$property must be an ISO-8601 date-time with an offset (2026-04-01T00:00:00+02:00, 2026-04-01T00:00:00Z) or a date (2026-04-01)',
        ...options,
      },
      validator: { validate: isDateBound },
    });
}

/** What the descriptions of date bounds say (a date-time without an offset is refused: it is ambiguous). */
export const LOWER_BOUND = 'A date-time with an offset, or a date (`2026-04-01`): the start of that day in `timezone`.';
export const UPPER_BOUND = 'A date-time with an offset, or a date (`2026-04-30`): the end of that day in `timezone`, inclusive.';

/** The OpenAPI schema of a date bound. */
export const DATE_BOUND_SCHEMA: { type: 'string'; anyOf: Array<{ type: 'string'; format: string }> } = {
  type: 'string',
  anyOf: [
    { type: 'string', format: 'date-time' },
    { type: 'string', format: 'date' },
  ],
};

export type BoundSide = 'start' | 'end';

/**
 * The date-time a bound stands for: a date-time with an offset as it is; a plain date as the start
 * (or the inclusive end) of that day in `timeZone`, written with the zone's offset at that instant.
 */
export function resolveDateBound(value: string, side: BoundSide, timeZone = 'UTC'): string {
  if (!isPlainDate(value)) return value;
  const [year, month, day] = PLAIN_DATE.exec(value)!.slice(1).map(Number);
  if (side === 'start') {
    const start = startOfDay(year, month, day, timeZone);
    return withOffset(start, timeZone, '');
  }
  // The next day's start, less one microsecond: the last instant PostgreSQL can store in this day.
  const next = utcDate(year, month, day + 1);
  const end = startOfDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone) - 1;
  return withOffset(end, timeZone, '999');
}

/** A calendar day (and time) read as UTC, days past the month's end rolling over; plain dates start at year 1000, so Date.UTC reads every year as it is. */
function utcDate(year: number, month: number, day: number, hours = 0, minutes = 0, seconds = 0): Date {
  return new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time in `timeZone` at `instant`, as if it were UTC (milliseconds). */
function wallClock(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(formatterOf(timeZone).formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  const wall = utcDate(Number(parts.year), Number(parts.month), Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall.getTime() + (instant % 1000 + 1000) % 1000;
}

/** Milliseconds the zone is ahead of UTC at `instant`. */
function offsetAt(instant: number, timeZone: string): number {
  return wallClock(instant, timeZone) - instant;
}

/**
 * The first instant of a local day: local midnight, or where a zone skips midnight (a DST change
 * at 00:00), the first local time that exists that day.
 */
function startOfDay(year: number, month: number, day: number, timeZone: string): number {
  const wall = utcDate(year, month, day).getTime();
  let instant = wall - offsetAt(wall, timeZone);
  instant = wall - offsetAt(instant, timeZone);
  // In a gap, local midnight does not exist: the instant found reads as a time of the previous day.
  if (wallClock(instant, timeZone) < wall) instant += wall - wallClock(instant, timeZone);
  return instant;
}

/** `instant` as the zone's wall-clock time with its offset (`2026-04-01T00:00:00.000+02:00`), extra sub-millisecond digits appended. */
function withOffset(instant: number, timeZone: string, subMillisecond: string): string {
  const offset = Math.round(offsetAt(instant, timeZone) / 60_000);
  const local = new Date(instant + offset * 60_000).toISOString().slice(0, -1);
  const sign = offset < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offset) % 60).padStart(2, '0');
  return `${local}${subMillisecond}${sign}${hours}:${minutes}`;
}

/**
 * A copy of `request` whose range bounds are date-times: a plain-date `startName` is the start of
 * its day, a plain-date `endName` the end of its day, in `timeZone`. Other values are kept as they are.
 */
export function resolveDateRange<T extends object>(request: T, [startName, endName]: [keyof T & string, keyof T & string], timeZone?: string): T {
  const resolved = { ...request };
  const start = request[startName];
  const end = request[endName];
  if (typeof start === 'string') (resolved as Record<string, unknown>)[startName] = resolveDateBound(start, 'start', timeZone);
  if (typeof end === 'string') (resolved as Record<string, unknown>)[endName] = resolveDateBound(end, 'end', timeZone);
  return resolved;
}
