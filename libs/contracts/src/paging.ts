import { Transform } from 'class-transformer';
import { IsInt, Max, Min, registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** Deepest `page` of any paged input (OFFSET paging reads every row before the page). */
export const MAX_PAGE = 10_000;
/**
 * Most rows an offset page may skip (`page × limit`), on every paged input. Deeper than
 * this, message history follows `nextCursor`; the exports of an account are never that many.
 */
export const MAX_OFFSET = 200_000;

/**
 * Query strings give text: only plain decimal digits become a number, so `1e20`, `0x10`,
 * `1.5`, ` 7` and the empty string stay text and are refused as not integers. JSON
 * numbers (a NATS request) pass through and meet the same bounds.
 */
export const toInteger = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value);

export const pageMessage = (field = 'page') =>
  `${field} must be an integer from 0 to ${MAX_PAGE}, and page × limit at most ${MAX_OFFSET.toLocaleString('en-US')}`;

/** `page` (0-based): an integer from 0 to {@link MAX_PAGE} whose offset `page × limit` is at most {@link MAX_OFFSET}. */
export function IsPageNumber(options?: ValidationOptions): PropertyDecorator {
  const message = pageMessage();
  return (target: object, propertyName: string | symbol) => {
    Transform(toInteger)(target, propertyName);
    IsInt({ message })(target, propertyName);
    Min(0, { message })(target, propertyName);
    Max(MAX_PAGE, { message })(target, propertyName);
    registerDecorator({
      name: 'isWithinMaxOffset',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message, ...options },
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          const { limit } = args.object as { limit?: unknown };
          if (typeof value !== 'number' || typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) return true;
          return value * limit <= MAX_OFFSET;
        },
      },
    });
  };
}

/** `limit`: an integer from 1 to `max`; text other than plain digits is refused. */
export function IsPageSize(max: number): PropertyDecorator {
  const message = `limit must be an integer from 1 to ${max}`;
  return (target: object, propertyName: string | symbol) => {
    Transform(toInteger)(target, propertyName);
    IsInt({ message })(target, propertyName);
    Min(1, { message })(target, propertyName);
    Max(max, { message })(target, propertyName);
  };
}
