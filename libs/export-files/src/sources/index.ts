import { ExportType } from '@exports/contracts';
import { ExportSource } from '../export-source';
import { ContactsExportSource } from './contacts.source';
import { DeliveryReportsExportSource } from './delivery-reports.source';
import { MessageHistoryExportSource } from './message-history.source';

export { ContactsExportSource, DeliveryReportsExportSource, MessageHistoryExportSource };

/** The source of every export type: the workers run them, the gateway estimates them. */
export const EXPORT_SOURCES: Record<ExportType, ExportSource> = {
  [ExportType.Contacts]: new ContactsExportSource(),
  [ExportType.DeliveryReports]: new DeliveryReportsExportSource(),
  [ExportType.MessageHistory]: new MessageHistoryExportSource(),
};
