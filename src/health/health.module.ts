import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CircuitBreakerHealth } from '../circuit-breaker/circuit-breaker.health';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { HealthController } from './health.controller';
import { DependencyIndicators } from './health.indicators';

/** `/health/live` and `/health/ready` (Postgres, Redis, delivery circuits); the indicators are shared with the callback health route. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' }), CircuitBreakerModule],
  controllers: [HealthController],
  providers: [DependencyIndicators, CircuitBreakerHealth],
  exports: [DependencyIndicators],
})
export class HealthModule {}
