import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { FormFields } from '../http/form-body';
import type { ConsoleSession } from './console-sessions';

/** A console request once its guards ran: the session (and, for a POST, the form they read). */
export type ConsoleRequest = Request & { consoleSession?: ConsoleSession; consoleToken?: string; consoleForm?: FormFields };

/** The signed-in operator's session (set by ConsoleSessionGuard). */
export const CurrentSession = createParamDecorator((_data: unknown, ctx: ExecutionContext): ConsoleSession => {
  const session = ctx.switchToHttp().getRequest<ConsoleRequest>().consoleSession;
  if (!session) throw new Error('CurrentSession used on a route without ConsoleSessionGuard');
  return session;
});

/** The submitted form (read by ConsoleCsrfGuard, or by the sign-in route). */
export const Form = createParamDecorator((_data: unknown, ctx: ExecutionContext): FormFields => {
  const form = ctx.switchToHttp().getRequest<ConsoleRequest>().consoleForm;
  if (!form) throw new Error('Form used on a route whose form was not read');
  return form;
});
