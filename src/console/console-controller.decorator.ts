import { applyDecorators, Controller, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleCsrfGuard } from './auth/console-csrf.guard';
import { ConsoleSessionGuard } from './auth/console-session.guard';
import type { ConsoleSession } from './auth/console-sessions';
import { ConsoleExceptionFilter } from './render/console-exception.filter';
import type { NavKey, PageFrame } from './render/console-views';

/** A console controller at `/console[/<path>]`: a session required, a CSRF token on every POST, errors as pages; not in the OpenAPI document. */
export function ConsoleController(path?: string): ClassDecorator {
  return applyDecorators(
    ApiExcludeController(),
    Controller(path ? `console/${path}` : 'console'),
    UseGuards(ConsoleSessionGuard, ConsoleCsrfGuard),
    UseFilters(ConsoleExceptionFilter),
  );
}

/** The layout's part of a page for the signed-in operator. */
export function frameOf(session: ConsoleSession, title: string, nav: NavKey, extra: Partial<PageFrame> = {}): PageFrame {
  return { title, user: session.user, csrf: session.csrf, nav, ...extra };
}
