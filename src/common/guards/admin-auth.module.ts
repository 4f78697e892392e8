import { Global, Module } from '@nestjs/common';
import { AuthFailureLimiter } from './auth-failure-limiter.service';

/**
 * Makes the admin authentication limiter injectable everywhere: AdminTokenGuard is used by
 * controllers of several modules (admin API, queue API, /metrics), and Bull Board's Basic-auth
 * middleware needs the same limiter. Global, like ThrottlingModule.
 */
@Global()
@Module({
  providers: [AuthFailureLimiter],
  exports: [AuthFailureLimiter],
})
export class AdminAuthModule {}
