import { DeadLetterHeaders, Subjects } from '@exports/contracts';
import { JsMsg, StoredMsg } from 'nats';
import { JetStream } from './jetstream';

/** One parked event, as the DEAD_LETTERS stream holds it. */
export interface DeadLetter {
  /** Sequence in the dead-letter stream. */
  seq: number;
  /** The documented subject the event was published on (where a replay sends it). */
  subject: string;
  reason: string;
  consumer: string;
  /** Sequence of the event in its own stream. */
  streamSeq: number;
  deliveries: number;
  /** When it was parked (ISO-8601). */
  at: string;
  /** The original event, byte for byte. */
  body: Uint8Array;
}

/** NATS headers may not hold line breaks; a reason is kept to one readable line. */
function headerValue(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 2000) || '-';
}

/**
 * The dead-letter stream: events that cannot be stored whatever the number of tries (they fail
 * validation, or PostgreSQL refuses the row) are parked here with the reason, for an operator
 * to look at and replay once the cause is fixed. The single place that knows its format.
 */
export class DeadLetters {
  constructor(private readonly jetStream: JetStream) {}

  async ensureStream(): Promise<void> {
    await this.jetStream.ensureStreams(['deadLetters']);
  }

  /**
   * Parks one delivered event and resolves once JetStream has stored it; throws when it could
   * not (the caller then keeps the event). The message id makes parking it again a no-op.
   */
  async park(message: JsMsg, consumer: string, reason: string, at = new Date()): Promise<void> {
    const subject = this.jetStream.namespace.unprefix(message.subject);
    await this.jetStream.publishBytes(Subjects.deadLetters.of(subject), message.data, {
      msgID: `${consumer}:${message.seq}`,
      headers: {
        [DeadLetterHeaders.reason]: headerValue(reason),
        [DeadLetterHeaders.subject]: subject,
        [DeadLetterHeaders.consumer]: consumer,
        [DeadLetterHeaders.streamSequence]: String(message.seq),
        [DeadLetterHeaders.deliveries]: String(message.info.deliveryCount),
        [DeadLetterHeaders.at]: at.toISOString(),
      },
    });
  }

  /** The dead letters, oldest first, at most `limit`. */
  async list(limit: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for await (const letter of this.each()) {
      if (letters.length >= limit) break;
      letters.push(letter);
    }
    return letters;
  }

  /**
   * Every dead letter stored when the walk starts, oldest first, read one at a time; letters
   * parked meanwhile (e.g. a replayed event that fails again) are left for the next walk.
   */
  async *each(): AsyncGenerator<DeadLetter> {
    const bounds = await this.jetStream.streamBounds('deadLetters');
    if (!bounds?.messages) return;
    // Sequences of replayed letters are gaps: skipped.
    for (let seq = bounds.firstSeq; seq <= bounds.lastSeq; seq++) {
      const letter = await this.get(seq);
      if (letter) yield letter;
    }
  }

  async get(seq: number): Promise<DeadLetter | undefined> {
    const stored = await this.jetStream.storedMessage('deadLetters', seq);
    return stored && this.toDeadLetter(stored);
  }

  /**
   * Publishes the original event again on its own subject (through JetStream, so its consumers
   * get it as a new event), then removes the dead letter. A replay repeated within the dedupe
   * window (e.g. after a crash between the two steps) is not published twice.
   */
  async replay(letter: DeadLetter): Promise<{ replayedSeq: number; duplicate: boolean }> {
    if (!letter.subject) throw new Error(`Dead letter ${letter.seq} has no ${DeadLetterHeaders.subject} header: it cannot be replayed`);
    const { seq, duplicate } = await this.jetStream.publishBytes(letter.subject, letter.body, { msgID: `dead-letter-replay:${letter.seq}` });
    await this.jetStream.deleteMessage('deadLetters', letter.seq);
    return { replayedSeq: seq, duplicate };
  }

  private toDeadLetter(stored: StoredMsg): DeadLetter {
    const header = (name: string) => stored.header?.get(name) ?? '';
    return {
      seq: stored.seq,
      subject: header(DeadLetterHeaders.subject),
      reason: header(DeadLetterHeaders.reason),
      consumer: header(DeadLetterHeaders.consumer),
      streamSeq: Number(header(DeadLetterHeaders.streamSequence)) || 0,
      deliveries: Number(header(DeadLetterHeaders.deliveries)) || 0,
      at: header(DeadLetterHeaders.at) || stored.time.toISOString(),
      body: stored.data,
    };
  }
}
