import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ObjectStorage } from '@exports/storage';
import { JetStream } from '../jetstream';
import { probe } from '../ops-server';

/** Whether the app's dependencies answer: PostgreSQL, NATS and object storage. */
@Injectable()
export class Readiness {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jetStream: JetStream,
    private readonly storage: ObjectStorage,
  ) {}

  async check(): Promise<Record<'database' | 'nats' | 'storage', string>> {
    const [database, nats, storage] = await Promise.all([
      probe(() => this.dataSource.query('SELECT 1')),
      probe(async () => {
        if (this.jetStream.connection.isClosed()) throw new Error('connection closed');
        await this.jetStream.connection.flush();
      }),
      probe(() => this.storage.ping()),
    ]);
    return { database, nats, storage };
  }
}
