import { ContactsExportFilters, ExportType } from '@exports/contracts';
import { ExportEntity } from '@exports/database';
import { isoTimestamp, safeText, selectList } from '@exports/export-files';
import { ExportSource, Literal, textArray } from '@exports/export-pipeline';

const COLUMNS = [
  ['id', safeText('id')],
  ['phoneNumber', safeText('phone_number')],
  ['email', safeText('email')],
  ['firstName', safeText('first_name')],
  ['lastName', safeText('last_name')],
  ['gender', safeText('gender')],
  ['listIds', safeText(`array_to_string(list_ids, ';')`)],
  ['customFields', 'custom_fields::text'],
  ['isTest', `CASE is_test WHEN true THEN 'true' WHEN false THEN 'false' END`],
  ['createdAt', isoTimestamp('created_at')],
  ['updatedAt', isoTimestamp('updated_at')],
] as const;

/** Contacts of the account (deleted ones left out), by id; `listIds` matches any list. */
export class ContactsExportSource implements ExportSource<ContactsExportFilters> {
  readonly type = ExportType.Contacts;

  query(exportRecord: ExportEntity, filters: ContactsExportFilters, literal: Literal): string {
    const where = [`account_id = ${literal(exportRecord.accountId)}::uuid`, 'deleted_at IS NULL'];
    if (filters.listIds?.length) where.push(`list_ids && ${textArray(filters.listIds, literal)}`);
    if (filters.contactIds?.length) where.push(`id = ANY(${textArray(filters.contactIds, literal)})`);
    return `SELECT ${selectList(COLUMNS)} FROM contacts WHERE ${where.join(' AND ')} ORDER BY id`;
  }
}
