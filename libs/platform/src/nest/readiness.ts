import { Injectable } from '@nestjs/common';
import { probe } from '../ops-server';

/** Resolves when a dependency answers, rejects with why it does not. */
export type ReadinessProbe = () => Promise<unknown>;

/**
 * Whether the app's dependencies answer. Each module that owns a connection registers its probe
 * (NATS here; PostgreSQL by `DatabaseModule`, object storage by `StorageModule`), so this layer
 * needs to know none of them.
 */
@Injectable()
export class Readiness {
  private readonly probes = new Map<string, ReadinessProbe>();

  register(name: string, check: ReadinessProbe): void {
    this.probes.set(name, check);
  }

  /** `ok` or the reason, per dependency, in name order. */
  async check(): Promise<Record<string, string>> {
    const probes = [...this.probes].sort(([a], [b]) => a.localeCompare(b));
    const outcomes = await Promise.all(probes.map(([, check]) => probe(check)));
    return Object.fromEntries(probes.map(([name], index) => [name, outcomes[index]]));
  }
}
