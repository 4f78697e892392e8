import { Module } from '@nestjs/common';
import { AuthFailureLimiter } from './auth-failure-limiter.service';

/**
 * The admin authentication limiter: AdminTokenGuard is used by controllers of several modules
 * (admin API, queue API, /metrics), and Bull Board's Basic-auth middleware needs the same limiter.
 * A module with admin controllers imports this module.
 */
@Module({
  providers: [AuthFailureLimiter],
  exports: [AuthFailureLimiter],
})
export class AdminAuthModule {}
