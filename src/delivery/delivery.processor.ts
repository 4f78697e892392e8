import { Injectable } from '@nestjs/common';
import { Job } from 'bullmq';
import type { DeliveryJobData } from '../queue/queue.constants';
import { DeliveryOutcome, DeliveryService } from './delivery.service';

/** The queue's job handler: thin on purpose, all the work is in DeliveryService. */
@Injectable()
export class DeliveryProcessor {
  constructor(private readonly delivery: DeliveryService) {}

  process(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> {
    return this.delivery.deliver(job, token);
  }
}
