import { accountSubject, ExportRequestedEvent, exportRunMessageId, Subjects } from '@exports/contracts';
import { OutboxEntry, OutboxMessage } from '@exports/outbox';
import { ExportEntity } from './entities/export.entity';
import { toExportResource } from './export-resource.mapper';
import { toExportEntity } from './exports.repository';

const TIMESTAMPS = ['created_at', 'updated_at', 'heartbeat_at', 'completed_at', 'cancelled_at', 'link_expires_at', 'file_expires_at', 'file_purged_at'];

/** An export row from its outbox snapshot (`to_jsonb`: timestamps as ISO text). */
export function exportFromSnapshot(snapshot: Record<string, unknown>): ExportEntity {
  const row = { ...snapshot };
  for (const column of TIMESTAMPS) {
    if (typeof row[column] === 'string') row[column] = new Date(row[column]);
  }
  return toExportEntity(row);
}

/**
 * What an export's outbox entry becomes on the bus: a run on EXPORTS (message id
 * `<exportId>.<run>.<outboxId>`), or a lifecycle event on EXPORT_EVENTS carrying the resource
 * as of the change (a `completed` published late must not read EXPIRED), message id per entry.
 */
export function exportOutboxMessage(entry: OutboxEntry): OutboxMessage {
  const record = exportFromSnapshot(entry.snapshot);
  if (entry.kind === 'run') {
    const event: ExportRequestedEvent = { exportId: record.id, accountId: record.accountId, type: record.type, run: entry.run };
    return { subject: accountSubject(Subjects.exportRequested[record.type], record.accountId), payload: event, messageId: exportRunMessageId(event, entry.id) };
  }
  return { subject: accountSubject(Subjects.exportEvents[entry.kind], record.accountId), payload: toExportResource(record, record.updatedAt), messageId: `event-${entry.id}` };
}
