import { Module } from '@nestjs/common';

export const APP = 'history-service';

/** Message history: ingestion, browsing and the message-history export. */
@Module({})
export class AppModule {}
