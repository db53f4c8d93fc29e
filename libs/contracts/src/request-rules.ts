import { CreateDeliveryReportsExportDto, CreateMessageHistoryExportDto } from './export-requests.dto';
import { BrowseMessageHistoryQueryDto } from './history.dto';

/**
 * Rules that span several fields of a request, which class-validator decorators cannot
 * express with a configured limit. Each answers the problems found, naming the fields;
 * the caller turns them into its validation error (the same for HTTP and NATS).
 */
export interface RuleViolation {
  field: string;
  message: string;
}

const DAY_MS = 86_400_000;

/** An inclusive range from `start` to `end` (both with offsets, already validated). */
function rangeViolations(start: string, end: string, [startName, endName]: [string, string], maxDays: number, allowReversed: boolean): RuleViolation[] {
  const span = Date.parse(end) - Date.parse(start);
  if (span < 0) {
    return allowReversed ? [] : [{ field: endName, message: `${endName} must not be before ${startName}` }];
  }
  if (span > maxDays * DAY_MS) {
    const message = `${startName} and ${endName} must be at most ${maxDays} days apart`;
    return [
      { field: startName, message },
      { field: endName, message },
    ];
  }
  return [];
}

/** `campaignId` or both date bounds; a given range ordered and within the limit. */
export function deliveryReportsExportViolations(request: CreateDeliveryReportsExportDto, maxDays: number): RuleViolation[] {
  const { campaignId, startDateTime, endDateTime } = request;
  if (startDateTime !== undefined && endDateTime !== undefined) {
    return rangeViolations(startDateTime, endDateTime, ['startDateTime', 'endDateTime'], maxDays, false);
  }
  if (campaignId !== undefined) return [];
  const message = 'give campaignId, or both startDateTime and endDateTime';
  return [
    { field: 'campaignId', message },
    ...(startDateTime === undefined ? [{ field: 'startDateTime', message }] : []),
    ...(endDateTime === undefined ? [{ field: 'endDateTime', message }] : []),
  ];
}

export function messageHistoryExportViolations(request: CreateMessageHistoryExportDto, maxDays: number): RuleViolation[] {
  return rangeViolations(request.startDateTime, request.endDateTime, ['startDateTime', 'endDateTime'], maxDays, false);
}

/** Browsing: `from > to` is an empty page, not an error; a range over the limit is. */
export function browseViolations(query: BrowseMessageHistoryQueryDto, maxDays: number): RuleViolation[] {
  const violations = rangeViolations(query.from, query.to, ['from', 'to'], maxDays, true);
  if (query.cursor !== undefined && query.page !== undefined) {
    violations.push({ field: 'page', message: 'page and cursor cannot be used together; follow nextCursor, or use page alone' });
  }
  return violations;
}

/** One sentence for the envelope's `message`, with each distinct problem. */
export function describeViolations(violations: RuleViolation[]): string {
  return `The request is not valid: ${[...new Set(violations.map((v) => v.message))].join('; ')}`;
}
