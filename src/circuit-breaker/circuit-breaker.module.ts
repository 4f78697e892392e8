import { Module } from '@nestjs/common';
import { CircuitBreakerService } from './circuit-breaker.service';

/** The per-target circuit breaker, shared by delivery (worker), the admin API, health and metrics. */
@Module({
  providers: [CircuitBreakerService],
  exports: [CircuitBreakerService],
})
export class CircuitBreakerModule {}
