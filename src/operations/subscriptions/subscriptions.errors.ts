import { AppError } from '../../common/errors/app-errors';

/** PATCH, DELETE or rotate-secret on the built-in subscription: its settings come from the environment. */
export class BuiltInSubscriptionReadOnlyError extends AppError {
  readonly status = 409;
  readonly code = 'built_in_subscription_read_only';
  constructor(action: string) {
    super(
      `The built-in subscription cannot be ${action}: it is configured by N8N_BASE_URL, N8N_WEBHOOK_URL_<EVENT>, ` +
        'N8N_DISABLED_EVENTS and WEBHOOK_SECRET',
      { action },
    );
  }
}
