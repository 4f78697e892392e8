import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CircuitBreakerHealth } from '../delivery/circuit-breaker.health';
import { HealthController } from './health.controller';
import { DependencyIndicators } from './health.indicators';

@Module({
  imports: [TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [DependencyIndicators, CircuitBreakerHealth],
  exports: [DependencyIndicators],
})
export class HealthModule {}
