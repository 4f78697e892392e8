import { Get, Param, ParseUUIDPipe, Post, Query, Redirect, Res } from '@nestjs/common';
import type { Response } from 'express';
import { EntityNotFoundError, FieldError } from '../../common/errors/app-errors';
import { SubscriptionTestService } from '../../operations/subscriptions/subscription-test.service';
import { SubscriptionsService } from '../../operations/subscriptions/subscriptions.service';
import { CurrentSession, Form } from '../auth/console-request';
import type { ConsoleSession } from '../auth/console-sessions';
import { ConsoleController, frameOf } from '../console-controller.decorator';
import type { FormFields } from '../http/form-body';
import { ConsoleViews } from '../render/console-views';
import { timeView } from '../render/format';
import {
  createDtoOf,
  fieldErrorsOf,
  isFormError,
  subscriptionFormView,
  SubscriptionFormValues,
  updateDtoOf,
  valuesFrom,
  valuesOf,
} from './subscription-form';
import { subscriptionsView } from './subscriptions.presenter';

const NOTICES: Record<string, string> = {
  saved: 'Subscription saved.',
  disabled: 'Subscription disabled: its new deliveries are recorded as cancelled.',
  enabled: 'Subscription enabled.',
};

const subscriptionId = new ParseUUIDPipe({ exceptionFactory: () => new EntityNotFoundError('subscription', 'with this id') });

/**
 * `/console/subscriptions`: list, create, edit, disable / enable, send a test, rotate the secret
 * (the new secret is shown once, in the answer to the POST, never again). Through
 * SubscriptionsService and SubscriptionTestService, with the API's DTO rules.
 */
@ConsoleController('subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly tests: SubscriptionTestService,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  async list(@CurrentSession() session: ConsoleSession, @Query('notice') notice?: string): Promise<string> {
    const frame = frameOf(session, 'Subscriptions', 'subscriptions', { notice: notice ? NOTICES[notice] : undefined });
    return this.views.render('subscriptions', frame, subscriptionsView(await this.subscriptions.list(), session.csrf));
  }

  @Get('new')
  create(@CurrentSession() session: ConsoleSession): string {
    const values = { name: '', url: '', eventTypes: ['*'], enabled: true, ordering: 'none', headers: '', description: '' };
    return this.form(session, values, undefined, []);
  }

  @Post()
  async createPost(@CurrentSession() session: ConsoleSession, @Form() form: FormFields, @Res() res: Response): Promise<void> {
    const values = valuesFrom(form);
    const { dto, errors } = createDtoOf(values, form.raw('secret') || undefined);
    if (errors.length) {
      this.sendForm(res, 400, session, values, undefined, errors);
      return;
    }
    try {
      const created = await this.subscriptions.create(dto);
      res.send(this.secretPage(session, created.name, created.secret, 'created', null));
    } catch (error) {
      if (!isFormError(error)) throw error;
      this.sendForm(res, error.status, session, values, undefined, fieldErrorsOf(error));
    }
  }

  @Get(':id')
  async edit(@CurrentSession() session: ConsoleSession, @Param('id', subscriptionId) id: string): Promise<string> {
    const subscription = await this.subscriptions.get(id);
    return this.form(session, valuesOf(subscription), id, [], subscription.built_in);
  }

  @Post(':id')
  async update(
    @CurrentSession() session: ConsoleSession,
    @Param('id', subscriptionId) id: string,
    @Form() form: FormFields,
    @Res() res: Response,
  ): Promise<void> {
    const values = valuesFrom(form);
    const { dto, errors } = updateDtoOf(values);
    if (errors.length) {
      this.sendForm(res, 400, session, values, id, errors);
      return;
    }
    try {
      await this.subscriptions.update(id, dto);
      res.redirect(303, '/console/subscriptions?notice=saved');
    } catch (error) {
      if (!isFormError(error)) throw error;
      this.sendForm(res, error.status, session, values, id, fieldErrorsOf(error));
    }
  }

  @Post(':id/disable')
  @Redirect('/console/subscriptions?notice=disabled', 303)
  async disable(@Param('id', subscriptionId) id: string): Promise<void> {
    await this.subscriptions.update(id, { enabled: false });
  }

  @Post(':id/enable')
  @Redirect('/console/subscriptions?notice=enabled', 303)
  async enable(@Param('id', subscriptionId) id: string): Promise<void> {
    await this.subscriptions.update(id, { enabled: true });
  }

  @Post(':id/test')
  async test(@CurrentSession() session: ConsoleSession, @Param('id', subscriptionId) id: string): Promise<string> {
    const subscription = await this.subscriptions.find(id);
    const result = await this.tests.send(subscription);
    return this.views.render('subscription-test', frameOf(session, 'Test webhook', 'subscriptions'), {
      name: subscription.name,
      url: result.url,
      ok: result.ok,
      statusCode: result.status_code,
      error: result.error,
      excerpt: result.response_excerpt,
      duration: `${result.duration_ms} ms`,
    });
  }

  @Post(':id/rotate-secret')
  async rotate(@CurrentSession() session: ConsoleSession, @Param('id', subscriptionId) id: string): Promise<string> {
    const subscription = await this.subscriptions.get(id);
    const rotated = await this.subscriptions.rotateSecret(id, undefined);
    return this.secretPage(session, subscription.name, rotated.secret, 'rotated', rotated.previous_secret_expires_at);
  }

  private secretPage(
    session: ConsoleSession,
    name: string,
    secret: string,
    kind: 'created' | 'rotated',
    previousUntil: string | null,
  ): string {
    return this.views.render('subscription-secret', frameOf(session, 'Signing secret', 'subscriptions'), {
      name,
      secret,
      created: kind === 'created',
      previousUntil: timeView(previousUntil),
    });
  }

  private form(
    session: ConsoleSession,
    values: SubscriptionFormValues,
    id: string | undefined,
    errors: FieldError[],
    builtIn = false,
  ): string {
    const view = subscriptionFormView({
      values,
      action: id ? `/console/subscriptions/${id}` : '/console/subscriptions',
      heading: id ? `Edit ${values.name}` : 'New subscription',
      submit: id ? 'Save' : 'Create',
      creating: id === undefined,
      errors,
      csrf: session.csrf,
    });
    return this.views.render('subscription-form', frameOf(session, view.heading, 'subscriptions'), { ...view, builtIn });
  }

  private sendForm(res: Response, status: number, ...args: Parameters<SubscriptionsController['form']>): void {
    res
      .status(status)
      .type('html')
      .send(this.form(...args));
  }
}
