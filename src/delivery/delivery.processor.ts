import { Injectable } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import type { DeliveryJobData } from '../queue/queue.constants';
import { AttemptNotRecordedError } from './delivery-recorder.service';
import { DeliveryOutcome, DeliveryService } from './delivery.service';

/** How soon a delivery whose attempt could not be recorded is tried again. */
const UNRECORDED_REDELIVERY_MS = 1000;

/** The queue's job handler: thin on purpose, all the work is in DeliveryService. */
@Injectable()
export class DeliveryProcessor {
  constructor(private readonly delivery: DeliveryService) {}

  async process(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> {
    try {
      return await this.delivery.deliver(job, token);
    } catch (error) {
      if (!(error instanceof AttemptNotRecordedError)) throw error;
      // Shutting down with the database unreachable: neither completed nor failed (which would
      // leave its row `sending` for good), the job goes back to the queue without spending an
      // attempt and is delivered again, by another worker or after the restart. Should Redis be
      // gone too, this throws and the job's lock expires instead: BullMQ re-runs stalled jobs.
      await job.moveToDelayed(Date.now() + UNRECORDED_REDELIVERY_MS, token);
      throw new DelayedError();
    }
  }
}
