import { ContactsExportFilters, ExportType } from '@exports/contracts';
import { safeText } from '../csv-sql';
import { ExportColumn, ExportSource, Literal, SourceRecord, SourceRows, textArray } from '../export-source';
import { text, timestamp } from './columns';

/** Contacts of the account (deleted ones left out), by id; `listIds` matches any list. */
export class ContactsExportSource implements ExportSource<ContactsExportFilters> {
  readonly type = ExportType.Contacts;
  readonly columns: readonly ExportColumn[] = [
    text('id', 'id'),
    text('phoneNumber', 'phone_number'),
    text('email', 'email'),
    text('firstName', 'first_name'),
    text('lastName', 'last_name'),
    text('gender', 'gender'),
    { name: 'listIds', csv: safeText(`array_to_string(list_ids, ';')`), json: 'list_ids' },
    { name: 'customFields', csv: 'custom_fields::text', json: 'custom_fields' },
    { name: 'isTest', csv: `CASE is_test WHEN true THEN 'true' WHEN false THEN 'false' END`, json: 'is_test' },
    timestamp('createdAt', 'created_at'),
    timestamp('updatedAt', 'updated_at'),
  ];

  rows(exportRecord: SourceRecord, filters: ContactsExportFilters, literal: Literal): SourceRows {
    const where = [`account_id = ${literal(exportRecord.accountId)}::uuid`, 'deleted_at IS NULL'];
    if (filters.listIds?.length) where.push(`list_ids && ${textArray(filters.listIds, literal)}`);
    if (filters.contactIds?.length) where.push(`id = ANY(${textArray(filters.contactIds, literal)})`);
    return { from: 'contacts', where, orderBy: 'id' };
  }
}
