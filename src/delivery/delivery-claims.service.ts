import { Injectable } from '@nestjs/common';
import { MicroBatcher } from '../common/batching/micro-batcher';
import { ClaimedDelivery, ClaimRequest, DeliveryRepository } from '../outbox/delivery.repository';

/**
 * Moves outbox rows to `sending` for the jobs a worker is about to deliver, unless they are
 * already sent, failed or cancelled. Claims of concurrent jobs are grouped into one UPDATE …
 * RETURNING (one round trip and one commit for many deliveries).
 */
@Injectable()
export class DeliveryClaimsService {
  private readonly batcher: MicroBatcher<ClaimRequest, ClaimedDelivery | undefined>;

  constructor(private readonly deliveries: DeliveryRepository) {
    this.batcher = new MicroBatcher((requests) => this.claimAll(requests), { maxBatch: 200, concurrency: 2 });
  }

  /** The event to send, or undefined when its row is finished (or not visible yet). */
  claim(id: string): Promise<ClaimedDelivery | undefined> {
    return this.batcher.submit({ id });
  }

  /**
   * One UPDATE moves a row once however often its id is listed, so when two jobs of one delivery
   * land in the same batch (a job run twice after a Redis failover, or found in two partitions)
   * only the first gets the row: the other is told it is taken, never the same attempt twice.
   */
  private async claimAll(requests: ClaimRequest[]): Promise<(ClaimedDelivery | undefined)[]> {
    const claimed = new Map((await this.deliveries.claim(requests)).map((row) => [row.id, row]));
    return requests.map((r) => {
      const row = claimed.get(r.id);
      claimed.delete(r.id);
      return row;
    });
  }
}
