import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CircuitBreakerService } from './circuit-breaker.service';

/**
 * Reports the delivery circuits in /health/ready. Always `up`: an open circuit means n8n is
 * unreachable, not that this process is unhealthy (restarting it would not help).
 */
@Injectable()
export class CircuitBreakerHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly circuits: CircuitBreakerService,
  ) {}

  async check() {
    const indicator = this.health.check('circuits');
    try {
      const all = await this.circuits.list();
      const notClosed = all.filter((c) => c.state !== 'closed');
      return indicator.up({
        open: notClosed.length,
        targets: notClosed.map((c) => ({ target: c.target, state: c.state, retry_at: c.retry_at })),
      });
    } catch (error) {
      return indicator.up({
        open: null,
        message: `circuit state unavailable: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200),
      });
    }
  }
}
