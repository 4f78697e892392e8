import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { safeEqual } from '../../common/crypto/safe-equal';
import { parseByteSize } from '../../common/http/byte-size';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { CSRF_FIELD } from '../console.constants';
import { CsrfTokenMismatchError } from '../console.errors';
import { readForm } from '../http/form-body';
import type { ConsoleRequest } from './console-request';
import { crossSiteReason } from './same-origin';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * After ConsoleSessionGuard: every state-changing request (a POST) must come from this site and
 * carry the session's CSRF token in its form (`_csrf`), compared in constant time. Reads the form
 * (BODY_LIMIT, HTTP_BODY_TIMEOUT_MS) for the handler.
 */
@Injectable()
export class ConsoleCsrfGuard implements CanActivate {
  private readonly limit: number;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limit = parseByteSize(config.bodyLimit);
    this.timeoutMs = config.http.bodyTimeoutMs;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ConsoleRequest>();
    if (SAFE_METHODS.has(req.method)) return true;
    const session = req.consoleSession;
    if (!session) throw new Error('ConsoleCsrfGuard runs after ConsoleSessionGuard');
    const crossSite = crossSiteReason(req);
    if (crossSite) throw new CsrfTokenMismatchError(crossSite);
    const form = await readForm(req, this.limit, this.timeoutMs);
    const token = form.raw(CSRF_FIELD);
    if (token === undefined || !safeEqual(token, session.csrf)) throw new CsrfTokenMismatchError('no valid CSRF token');
    req.consoleForm = form;
    return true;
  }
}
