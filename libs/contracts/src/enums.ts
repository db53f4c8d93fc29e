/** Wire values are the documented ones. */
export enum ExportType {
  Contacts = 'CONTACTS',
  DeliveryReports = 'DELIVERY_REPORTS',
  MessageHistory = 'MESSAGE_HISTORY',
}

export enum ExportStatus {
  Pending = 'PENDING',
  Completed = 'COMPLETED',
  Expired = 'EXPIRED',
  Failed = 'FAILED',
  /** Stopped by its account before it completed; `POST /exports/{exportId}` runs it again. */
  Cancelled = 'CANCELLED',
}

export enum Channel {
  Sms = 'SMS',
  Rcs = 'RCS',
  WhatsApp = 'WHATSAPP',
}

export enum DeliveryStatus {
  Sent = 'SENT',
  Delivered = 'DELIVERED',
  Received = 'RECEIVED',
  Error = 'ERROR',
  Expired = 'EXPIRED',
  Unknown = 'UNKNOWN',
}

export enum MessageDirection {
  Outbound = 'OUTBOUND',
  Inbound = 'INBOUND',
}

/** Why an export failed; a customer reads these in `error.code`. */
export enum ExportErrorCode {
  Timeout = 'TIMEOUT',
  StorageUnavailable = 'STORAGE_UNAVAILABLE',
  SourceUnavailable = 'SOURCE_UNAVAILABLE',
  Internal = 'INTERNAL',
}
