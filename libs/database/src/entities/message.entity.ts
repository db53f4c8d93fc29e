import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Channel, DeliveryStatus, MessageDirection } from '@exports/contracts';

/** Message history, fed by platform.messages.*; status follows the newest delivery report. */
@Entity({ name: 'messages' })
export class MessageEntity {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' }) accountId!: string;
  @PrimaryColumn({ name: 'message_id', type: 'text' }) messageId!: string;
  @Column({ name: 'customer_message_id', type: 'text', nullable: true }) customerMessageId!: string | null;
  @Column({ name: 'campaign_id', type: 'text', nullable: true }) campaignId!: string | null;
  @Column({ type: 'text' }) channel!: Channel;
  @Column({ type: 'text' }) direction!: MessageDirection;
  @Column({ type: 'text' }) sender!: string;
  @Column({ type: 'text' }) destination!: string;
  @Column({ type: 'text' }) body!: string;
  @Column({ type: 'text' }) status!: DeliveryStatus;
  @Column({ name: 'status_description', type: 'text', nullable: true }) statusDescription!: string | null;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  /** When the current status happened; an older report does not overwrite it. */
  @Column({ name: 'status_at', type: 'timestamptz' }) statusAt!: Date;
  @Column({ name: 'send_date', type: 'timestamptz' }) sendDate!: Date;
  @Column({ name: 'delivery_date', type: 'timestamptz', nullable: true }) deliveryDate!: Date | null;
  @Column({ type: 'numeric', precision: 14, scale: 6, nullable: true }) cost!: string | null;
  @Column({ type: 'int', default: 1 }) parts!: number;
}
