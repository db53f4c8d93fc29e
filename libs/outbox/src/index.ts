export * from './outbox-entry';
export * from './outbox.repository';
export * from './outbox-relay';
export * from './outbox.module';
