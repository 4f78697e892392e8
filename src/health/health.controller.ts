import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CircuitBreakerHealth } from '../circuit-breaker/circuit-breaker.health';
import { DependencyIndicators } from './health.indicators';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: DependencyIndicators,
    private readonly circuits: CircuitBreakerHealth,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live() {
    return { status: 'ok', uptime_s: Math.round(process.uptime()) };
  }

  /** Postgres and Redis are reachable; 503 when either is not. Delivery circuits are reported, never failing. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.indicators.database(), () => this.indicators.redisPing(), () => this.circuits.check()]);
  }
}
