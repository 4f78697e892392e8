import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { SESSION_COOKIE } from '../console.constants';
import { ConsoleSignInRequiredError } from '../console.errors';
import { readCookie } from '../http/cookies';
import type { ConsoleRequest } from './console-request';
import { ConsoleSessions } from './console-sessions';

/** Every console route but sign-in: a live session, or ConsoleSignInRequiredError (pages redirect to the sign-in form). */
@Injectable()
export class ConsoleSessionGuard implements CanActivate {
  constructor(private readonly sessions: ConsoleSessions) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ConsoleRequest>();
    const token = readCookie(req, SESSION_COOKIE);
    const session = await this.sessions.find(token);
    if (!session) throw new ConsoleSignInRequiredError();
    req.consoleSession = session;
    req.consoleToken = token;
    return true;
  }
}
