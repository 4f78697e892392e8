import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { isDatabaseUnavailable } from '../database/postgres-errors';
import type { DeliveryJobData } from '../queue/queue.constants';
import { AttemptNotRecordedError } from './delivery-recorder.service';
import { DeliveryOutcome, DeliveryService } from './delivery.service';
import { RetryableDeliveryError } from './delivery.errors';

/** How soon a delivery whose attempt could not be recorded is tried again. */
const UNRECORDED_REDELIVERY_MS = 1000;
/** How soon a delivery that failed before anything was sent is tried again (the database was unreachable, or a bug). */
const NOT_SENT_RETRY_MS = { unavailable: 1000, other: 5000 };

/** The queue's job handler: thin on purpose, all the work is in DeliveryService. */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger(DeliveryProcessor.name);

  constructor(private readonly delivery: DeliveryService) {}

  async process(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> {
    try {
      return await this.delivery.deliver(job, token);
    } catch (error) {
      if (error instanceof RetryableDeliveryError || error instanceof UnrecoverableError || error instanceof DelayedError) throw error;
      if (!(error instanceof AttemptNotRecordedError)) {
        // Thrown before a request went out (the claim, the ordering check): no attempt was made,
        // so none is spent. The job goes back to the queue, delayed; the row keeps its count.
        const unavailable = isDatabaseUnavailable(error);
        if (!unavailable)
          this.logger.error({ err: error, delivery_id: job.data.id }, 'Delivery failed before sending; trying again shortly');
        await job.moveToDelayed(Date.now() + NOT_SENT_RETRY_MS[unavailable ? 'unavailable' : 'other'], token);
        throw new DelayedError();
      }
      // Shutting down with the database unreachable: neither completed nor failed (which would
      // leave its row `sending` for good), the job goes back to the queue without spending an
      // attempt and is delivered again, by another worker or after the restart. Should Redis be
      // gone too, this throws and the job's lock expires instead: BullMQ re-runs stalled jobs.
      await job.moveToDelayed(Date.now() + UNRECORDED_REDELIVERY_MS, token);
      throw new DelayedError();
    }
  }
}
