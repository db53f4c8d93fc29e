import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DeliveryStatus } from '@exports/contracts';

/** Every delivery report as received, even one older than its message's current status. */
@Entity({ name: 'delivery_reports' })
export class DeliveryReportEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' }) accountId!: string;
  @PrimaryColumn({ name: 'message_id', type: 'text' }) messageId!: string;
  @PrimaryColumn({ type: 'text' }) status!: DeliveryStatus;
  @PrimaryColumn({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
  @Column({ name: 'status_description', type: 'text', nullable: true }) statusDescription!: string | null;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' }) receivedAt!: Date;
}
