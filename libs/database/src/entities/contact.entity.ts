import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Contacts read model, fed by platform.contacts.*; a deleted contact stays as a tombstone. */
@Entity({ name: 'contacts' })
export class ContactEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'phone_number', type: 'text', nullable: true }) phoneNumber!: string | null;
  @Column({ type: 'text', nullable: true }) email!: string | null;
  @Column({ name: 'first_name', type: 'text', nullable: true }) firstName!: string | null;
  @Column({ name: 'last_name', type: 'text', nullable: true }) lastName!: string | null;
  @Column({ type: 'text', nullable: true }) gender!: string | null;

  /** List membership. */
  @Column({ name: 'list_ids', type: 'text', array: true, default: () => "'{}'" }) listIds!: string[];
  @Column({ name: 'custom_fields', type: 'jsonb', nullable: true }) customFields!: Record<string, string> | null;
  @Column({ name: 'is_test', type: 'boolean', nullable: true }) isTest!: boolean | null;
  @Column({ name: 'created_at', type: 'timestamptz', nullable: true }) createdAt!: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
}
