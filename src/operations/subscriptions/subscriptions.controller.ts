import { Body, Delete, Get, HttpCode, Param, Patch, PipeTransform, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { EntityNotFoundError } from '../../common/errors/app-errors';
import { AdminApiController, ApiById } from '../../domain/common/admin-api.decorators';
import { CreateSubscriptionDto, RecoverDto, RotateSecretDto, UpdateSubscriptionDto } from './dto/subscription-input.dto';
import {
  CreatedSubscriptionResponse,
  DeletedSubscriptionResponse,
  RecoverResponse,
  RotatedSecretResponse,
  SubscriptionList,
  SubscriptionResponse,
  SubscriptionTestResponse,
} from './dto/subscription.response';
import { SubscriptionTestService } from './subscription-test.service';
import { SubscriptionsService } from './subscriptions.service';

/** `:id`: anything but a live subscription's uuid is a 404 (a malformed id names no subscription). */
const subscriptionId: PipeTransform<string, string> = {
  transform: (value: string) => {
    if (!isUUID(value)) throw new EntityNotFoundError('subscription', value.slice(0, 100));
    return value;
  },
};
const IdParam = () => Param('id', subscriptionId);

const READ_ONLY = 'built_in_subscription_read_only: the built-in subscription is configured by the environment';

/** Where events go: `/api/v1/webhooks/subscriptions[/:id[/rotate-secret|/recover|/test]]` (bearer ADMIN_TOKEN). */
@AdminApiController('webhooks/subscriptions', 'subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly tests: SubscriptionTestService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a subscription; the answer shows its signing secret, once' })
  @ApiCreatedResponse({ type: CreatedSubscriptionResponse })
  @ApiConflictResponse({ description: 'conflict: another subscription has this name' })
  create(@Body() dto: CreateSubscriptionDto): Promise<CreatedSubscriptionResponse> {
    return this.subscriptions.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'Every subscription, the built-in one first (secrets are never shown)' })
  @ApiOkResponse({ type: SubscriptionList })
  async list(): Promise<SubscriptionList> {
    return { items: await this.subscriptions.list() };
  }

  @Get(':id')
  @ApiById()
  @ApiOkResponse({ type: SubscriptionResponse })
  get(@IdParam() id: string): Promise<SubscriptionResponse> {
    return this.subscriptions.get(id);
  }

  @Patch(':id')
  @ApiById()
  @ApiOperation({ summary: 'Change any field but the secret (see rotate-secret); enabling clears the disabled reason' })
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiConflictResponse({ description: `conflict: another subscription has this name; ${READ_ONLY}` })
  update(@IdParam() id: string, @Body() dto: UpdateSubscriptionDto): Promise<SubscriptionResponse> {
    return this.subscriptions.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiById()
  @ApiOperation({ summary: 'Delete it; its pending, queued and retrying deliveries are cancelled (and audited) with it' })
  @ApiOkResponse({ type: DeletedSubscriptionResponse })
  @ApiConflictResponse({ description: READ_ONLY })
  remove(@IdParam() id: string): Promise<DeletedSubscriptionResponse> {
    return this.subscriptions.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiById()
  @ApiOperation({ summary: 'A new signing secret (given or generated, shown once); the previous one signs too for a grace period' })
  @ApiOkResponse({ type: RotatedSecretResponse })
  @ApiConflictResponse({ description: READ_ONLY })
  // A request without a body reaches here without a DTO: the default stands in.
  rotateSecret(@IdParam() id: string, @Body() dto: RotateSecretDto = {}): Promise<RotatedSecretResponse> {
    return this.subscriptions.rotateSecret(id, dto.secret);
  }

  @Post(':id/recover')
  @HttpCode(200)
  @ApiById()
  @ApiOperation({ summary: 'Send its failed and cancelled deliveries created since a time again (same ids, same event ids)' })
  @ApiOkResponse({ type: RecoverResponse })
  @ApiConflictResponse({ description: 'conflict: the subscription is disabled (enable it first)' })
  @ApiUnprocessableEntityResponse({ description: 'replay_too_large: more than REPLAY_MAX_EVENTS match; send force: true' })
  recover(@IdParam() id: string, @Body() dto: RecoverDto): Promise<RecoverResponse> {
    return this.subscriptions.recover(id, dto);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiById()
  @ApiOperation({ summary: 'POST a signed webhook_test envelope to it now (URL with {event} = webhook-test) and show the answer' })
  @ApiOkResponse({ type: SubscriptionTestResponse })
  async test(@IdParam() id: string): Promise<SubscriptionTestResponse> {
    return this.tests.send(await this.subscriptions.find(id));
  }
}
