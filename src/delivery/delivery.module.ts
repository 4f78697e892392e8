import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig, runsWorker } from '../config/app-config';
import { AlertingModule } from '../operations/alerts/alerting.module';
import { CircuitBreakerModule } from './circuit-breaker.module';
import { DeliveryClaimsService } from './delivery-claims.service';
import { DeliveryRecorderService } from './delivery-recorder.service';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryService } from './delivery.service';
import { DeliveryWorker } from './delivery.worker';
import { HttpSenderService } from './http-sender.service';

/** Signs and sends queued events to n8n. The worker only runs in the `all` and `worker` roles. */
@Module({})
export class DeliveryModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers: Provider[] = [DeliveryService, DeliveryClaimsService, DeliveryProcessor, HttpSenderService, DeliveryRecorderService];
    if (runsWorker(config)) providers.push(DeliveryWorker);
    return { module: DeliveryModule, imports: [CircuitBreakerModule, AlertingModule], providers, exports: [DeliveryService, DeliveryRecorderService] };
  }
}
