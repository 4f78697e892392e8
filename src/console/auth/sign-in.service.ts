import { Inject, Injectable, Logger } from '@nestjs/common';
import { safeEqual } from '../../common/crypto/safe-equal';
import type { AuthFailureCounter } from '../../common/guards/auth-failure-limiter.service';
import { TooManyAuthFailuresError } from '../../common/guards/too-many-auth-failures.error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SignInFailedError } from '../console.errors';
import { ConsoleSessions } from './console-sessions';

/** The sign-in limiter: the admin AuthFailureLimiter with the console's own limit (CONSOLE_SIGN_IN_FAILURES_PER_MINUTE). */
export const SIGN_IN_LIMITER = Symbol('SIGN_IN_LIMITER');

/**
 * Checks a user name and password against ADMIN_USER / ADMIN_PASSWORD (both in constant time,
 * both always compared) and opens a session. Failures count against the source address in the
 * admin limiter's Redis window: past CONSOLE_SIGN_IN_FAILURES_PER_MINUTE, every attempt from the
 * address, right password included, is refused until the window ends.
 */
@Injectable()
export class SignInService {
  private readonly logger = new Logger(SignInService.name);
  private readonly user: string;
  private readonly password: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(SIGN_IN_LIMITER) private readonly limiter: AuthFailureCounter,
    private readonly sessions: ConsoleSessions,
  ) {
    // The module is mounted only with both set (consoleImports).
    this.user = config.admin.user ?? '';
    this.password = config.admin.password ?? '';
  }

  /** The new session's cookie token; SignInFailedError or TooManyAuthFailuresError otherwise. */
  async signIn(user: string, password: string, ip: string | undefined): Promise<string> {
    const userOk = safeEqual(user, this.user);
    const passwordOk = safeEqual(password, this.password);
    const valid = userOk && passwordOk && this.user !== '' && this.password !== '';
    const verdict = await this.limiter.check(ip, !valid);
    if (verdict.blocked) throw new TooManyAuthFailuresError(verdict.retryAfterSeconds);
    if (!valid) {
      this.logger.warn({ source_ip: ip ?? null }, 'Console sign-in refused: wrong user name or password');
      throw new SignInFailedError();
    }
    const { token } = await this.sessions.create(this.user);
    this.logger.log({ source_ip: ip ?? null, user: this.user }, 'Operator signed in to the console');
    return token;
  }
}
