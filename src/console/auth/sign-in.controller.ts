import { Controller, Get, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { randomBytes } from 'node:crypto';
import { safeEqual } from '../../common/crypto/safe-equal';
import { parseByteSize } from '../../common/http/byte-size';
import { TooManyAuthFailuresError } from '../../common/guards/too-many-auth-failures.error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { CSRF_FIELD, SESSION_COOKIE, SIGN_IN_COOKIE } from '../console.constants';
import { CsrfTokenMismatchError, SignInFailedError } from '../console.errors';
import { readCookie, setCookie } from '../http/cookies';
import { readForm } from '../http/form-body';
import { ConsoleExceptionFilter } from '../render/console-exception.filter';
import { ConsoleViews } from '../render/console-views';
import { nextPath } from '../render/next-path';
import type { ConsoleRequest } from './console-request';
import { ConsoleSessions } from './console-sessions';
import { crossSiteReason } from './same-origin';
import { SignInService } from './sign-in.service';

const SIGN_IN_FORM_SECONDS = 3600;
const NOTICES: Record<string, string> = { 'signed-out': 'You are signed out.', expired: 'Your session ended; sign in again.' };

/**
 * `/console/login` (the form and its POST) and `/console/logout`. The form carries a token that
 * must match its cookie (double submit), so another site cannot sign a browser in; the session
 * cookie is HttpOnly, SameSite=Strict, scoped to /console and Secure in production.
 */
@ApiExcludeController()
@Controller('console')
@UseFilters(ConsoleExceptionFilter)
export class SignInController {
  private readonly secure: boolean;
  private readonly bodyLimit: number;
  private readonly bodyTimeoutMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly signIns: SignInService,
    private readonly sessions: ConsoleSessions,
    private readonly views: ConsoleViews,
  ) {
    this.secure = config.env === 'production';
    this.bodyLimit = parseByteSize(config.bodyLimit);
    this.bodyTimeoutMs = config.http.bodyTimeoutMs;
  }

  @Get('login')
  async form(
    @Req() req: ConsoleRequest,
    @Res() res: Response,
    @Query('next') next?: string,
    @Query('notice') notice?: string,
  ): Promise<void> {
    if (await this.sessions.find(readCookie(req, SESSION_COOKIE))) {
      res.redirect(303, nextPath(next));
      return;
    }
    this.sendForm(res, 200, { next: nextPath(next), notice: notice === undefined ? undefined : NOTICES[notice] });
  }

  @Post('login')
  async signIn(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const crossSite = crossSiteReason(req);
    if (crossSite) throw new CsrfTokenMismatchError(crossSite);
    const form = await readForm(req, this.bodyLimit, this.bodyTimeoutMs);
    const expected = readCookie(req, SIGN_IN_COOKIE);
    const given = form.raw(CSRF_FIELD);
    if (expected === undefined || given === undefined || !safeEqual(given, expected))
      throw new CsrfTokenMismatchError('the sign-in form expired');
    const user = form.get('username') ?? '';
    const next = nextPath(form.get('next'));
    try {
      const token = await this.signIns.signIn(user, form.raw('password') ?? '', req.ip);
      setCookie(res, SIGN_IN_COOKIE, '', { maxAgeSeconds: 0, secure: this.secure, path: '/console/login' });
      setCookie(res, SESSION_COOKIE, token, { maxAgeSeconds: this.sessions.ttlSeconds, secure: this.secure });
      res.redirect(303, next);
    } catch (error) {
      if (error instanceof TooManyAuthFailuresError) {
        res.setHeader('Retry-After', String(error.retryAfterSeconds));
        this.sendForm(res, 429, {
          next,
          user,
          error: `Too many failed sign-ins from this address; try again in ${error.retryAfterSeconds} s.`,
        });
      } else if (error instanceof SignInFailedError) this.sendForm(res, 401, { next, user, error: error.message });
      else throw error;
    }
  }

  @Post('logout')
  async signOut(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const token = readCookie(req, SESSION_COOKIE);
    const session = await this.sessions.find(token);
    if (session) {
      // Signing out is a state change too: only with the session's token, from this site.
      const crossSite = crossSiteReason(req);
      if (crossSite) throw new CsrfTokenMismatchError(crossSite);
      const form = await readForm(req, this.bodyLimit, this.bodyTimeoutMs);
      const given = form.raw(CSRF_FIELD);
      if (given === undefined || !safeEqual(given, session.csrf)) throw new CsrfTokenMismatchError('no valid CSRF token');
      await this.sessions.destroy(token);
    }
    setCookie(res, SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: this.secure });
    res.redirect(303, '/console/login?notice=signed-out');
  }

  /** The form with a fresh double-submit token (cookie and hidden field). */
  private sendForm(res: Response, status: number, model: { next: string; user?: string; error?: string; notice?: string }): void {
    const token = randomBytes(24).toString('base64url');
    setCookie(res, SIGN_IN_COOKIE, token, { maxAgeSeconds: SIGN_IN_FORM_SECONDS, secure: this.secure, path: '/console/login' });
    res
      .status(status)
      .type('html')
      .send(this.views.render('sign-in', { title: 'Sign in', notice: model.notice }, { ...model, csrf: token }));
  }
}
