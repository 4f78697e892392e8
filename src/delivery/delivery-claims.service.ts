import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MicroBatcher } from '../common/batching/micro-batcher';
import { returnedRows } from '../database/raw-query';
import type { EventType } from '../triggers/event-catalog';

export interface ClaimedEvent {
  id: string;
  event_type: EventType;
  entity_type: string;
  entity_id: string;
  payload: Record<string, unknown>;
}

interface ClaimRequest {
  id: string;
  attempt: number;
}

/**
 * Moves outbox rows to `sending` for the jobs a worker is about to deliver, unless they are
 * already sent, failed or cancelled. Claims of concurrent jobs are grouped into one UPDATE …
 * RETURNING (one round trip and one commit for many deliveries).
 */
@Injectable()
export class DeliveryClaimsService {
  private readonly batcher: MicroBatcher<ClaimRequest, ClaimedEvent | undefined>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.batcher = new MicroBatcher((requests) => this.claimAll(requests), { maxBatch: 200, concurrency: 2 });
  }

  /** The event to send, or undefined when its row is finished (or not visible yet). */
  claim(id: string, attempt: number): Promise<ClaimedEvent | undefined> {
    return this.batcher.submit({ id, attempt });
  }

  private async claimAll(requests: ClaimRequest[]): Promise<(ClaimedEvent | undefined)[]> {
    const result = await this.dataSource.query(
      `UPDATE webhook_queue q SET status = 'sending', attempts = GREATEST(q.attempts, v.attempt), updated_at = now()
        FROM unnest($1::uuid[], $2::int[]) AS v(id, attempt)
        WHERE q.id = v.id AND q.status IN ('pending', 'queued', 'retrying', 'sending')
        RETURNING q.id, q.event_type, q.entity_type, q.entity_id, q.payload`,
      [requests.map((r) => r.id), requests.map((r) => r.attempt)],
    );
    const claimed = new Map(returnedRows<ClaimedEvent>(result).map((row) => [row.id, row]));
    return requests.map((r) => claimed.get(r.id));
  }
}
