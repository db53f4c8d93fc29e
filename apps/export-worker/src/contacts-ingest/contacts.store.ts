import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ContactDeletedEvent, ContactUpsertedEvent } from '@exports/contracts';

export type ContactChange = { kind: 'upsert'; event: ContactUpsertedEvent } | { kind: 'delete'; event: ContactDeletedEvent };

/**
 * Writes contact events into the read model, idempotently: an event older than
 * what is stored changes nothing, and a delete leaves a tombstone so a replayed
 * older upsert cannot bring the contact back.
 */
@Injectable()
export class ContactsStore {
  constructor(private readonly dataSource: DataSource) {}

  /** All or nothing; a batch PostgreSQL refuses is written again one event at a time by the ingest. */
  async apply(changes: ContactChange[]): Promise<void> {
    if (!changes.length) return;
    await this.dataSource.transaction(async (manager) => {
      for (const change of changes) {
        if (change.kind === 'upsert') await this.upsert(manager, change.event);
        else await this.delete(manager, change.event);
      }
    });
  }

  private async upsert(manager: EntityManager, { accountId, contact }: ContactUpsertedEvent): Promise<void> {
    await manager.query(
      `INSERT INTO contacts (account_id, id, phone_number, email, first_name, last_name, gender, list_ids, custom_fields, is_test, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (account_id, id) DO UPDATE SET
         phone_number = EXCLUDED.phone_number, email = EXCLUDED.email, first_name = EXCLUDED.first_name,
         last_name = EXCLUDED.last_name, gender = EXCLUDED.gender, list_ids = EXCLUDED.list_ids,
         custom_fields = EXCLUDED.custom_fields, is_test = EXCLUDED.is_test, created_at = EXCLUDED.created_at,
         updated_at = EXCLUDED.updated_at, deleted_at = NULL
       WHERE contacts.updated_at < EXCLUDED.updated_at`,
      [
        accountId,
        contact.id,
        contact.phoneNumber ?? null,
        contact.email ?? null,
        contact.firstName ?? null,
        contact.lastName ?? null,
        contact.gender ?? null,
        contact.listIds ?? [],
        contact.customFields ? JSON.stringify(contact.customFields) : null,
        contact.isTest ?? null,
        contact.createdAt,
        contact.updatedAt,
      ],
    );
  }

  private async delete(manager: EntityManager, event: ContactDeletedEvent): Promise<void> {
    await manager.query(
      `INSERT INTO contacts (account_id, id, updated_at, deleted_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (account_id, id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at, updated_at = EXCLUDED.updated_at
       WHERE contacts.updated_at <= EXCLUDED.updated_at`,
      [event.accountId, event.contactId, event.deletedAt],
    );
  }
}
