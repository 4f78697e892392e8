import { Body, Controller, Get, HttpCode, Post, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { IncomingRateLimit } from '../common/throttling/incoming-rate-limit.guard';
import { WebhookSignatureGuard } from '../security/webhook-signature.guard';
import { ApprovalsService } from './approvals.service';
import { CallbackAuditInterceptor } from './callback-audit.interceptor';
import { CallbackHealthService } from './callback-health.service';
import { AppliedCallback, CallbackIdempotencyService } from './callback-idempotency.service';
import { CallbackResult } from './callback-result';
import { DemoApprovalDto, VideoApprovalDto } from './dto/approval-callback.dto';
import { ErrorNotificationDto, WorkflowCompletedDto, WorkflowStatusDto } from './dto/workflow-callbacks.dto';
import { ErrorNotificationsService } from './error-notifications.service';
import { WorkflowExecutionsService } from './workflow-executions.service';
import { WorkflowStatusWriter } from './workflow-status.writer';
import { Idempotency, IdempotencyKey } from './idempotency-key';
import type { EntityManager } from 'typeorm';

/** Signed callbacks from n8n workflows. Each is verified, validated, applied once in one transaction, and audited. */
@ApiTags('n8n callbacks')
@ApiHeader({ name: 'X-Webhook-Timestamp', required: true, description: 'Unix seconds when n8n signed the request' })
@ApiHeader({ name: 'X-Webhook-Signature-256', required: true, description: 'sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>' })
@ApiHeader({
  name: 'X-Webhook-Id',
  required: false,
  description: 'Idempotency key, one per request: a repeat (same body) gets the first answer and changes nothing',
})
@ApiResponse({
  status: 400,
  description:
    'validation_failed (each bad field named), or invalid_json: not JSON, not UTF-8, a NUL or unpaired surrogate in a string, nesting over 64',
})
@ApiResponse({ status: 401, description: 'Missing, malformed or wrong signature, or timestamp outside the window' })
@ApiResponse({ status: 404, description: 'Referenced entity does not exist' })
@ApiResponse({ status: 409, description: 'Conflicts with the current state (body has it), or an exact replay without X-Webhook-Id' })
@ApiResponse({ status: 408, description: 'request_timeout: the body took longer than HTTP_BODY_TIMEOUT_MS (connection closed)' })
@ApiResponse({ status: 413, description: 'payload_too_large: body over CALLBACK_BODY_LIMIT (128 KB)' })
@ApiResponse({ status: 415, description: 'Body is not application/json (or +json) in UTF-8' })
@ApiResponse({ status: 422, description: 'idempotency_key_reused: this X-Webhook-Id was already used with another body; nothing changed' })
@ApiResponse({ status: 503, description: 'Database or Redis unavailable, or too many bodies being received: retry (Retry-After)' })
@Controller('api/v1/webhooks/n8n')
// Class decorators apply bottom-up: the rate limit is registered, and runs, before the signature check
// (which reads the body, verifies it, then parses it: nothing is parsed before it is authenticated).
@UseGuards(WebhookSignatureGuard)
@IncomingRateLimit()
@UseInterceptors(CallbackAuditInterceptor)
export class N8nCallbacksController {
  constructor(
    private readonly idempotency: CallbackIdempotencyService,
    private readonly approvals: ApprovalsService,
    private readonly executions: WorkflowExecutionsService,
    private readonly errors: ErrorNotificationsService,
    private readonly health: CallbackHealthService,
    private readonly statusWriter: WorkflowStatusWriter,
  ) {}

  @Post('demo-approval')
  @HttpCode(200)
  @ApiOperation({ summary: 'A demo was approved or rejected; approval requests its video' })
  demoApproval(@Body() dto: DemoApprovalDto, @Idempotency() idem: IdempotencyKey | undefined, @Res({ passthrough: true }) res: Response) {
    return this.apply('demo-approval', idem, res, (m) => this.approvals.decideDemo(dto, m));
  }

  @Post('video-approval')
  @HttpCode(200)
  @ApiOperation({ summary: 'A video was approved or rejected; approval requests the outreach email' })
  videoApproval(@Body() dto: VideoApprovalDto, @Idempotency() idem: IdempotencyKey | undefined, @Res({ passthrough: true }) res: Response) {
    return this.apply('video-approval', idem, res, (m) => this.approvals.decideVideo(dto, m));
  }

  @Post('workflow-completed')
  @HttpCode(200)
  @ApiOperation({ summary: 'An n8n execution finished' })
  workflowCompleted(
    @Body() dto: WorkflowCompletedDto,
    @Idempotency() idem: IdempotencyKey | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.apply('workflow-completed', idem, res, (m) => this.executions.completed(dto, m));
  }

  @Post('workflow-status')
  @HttpCode(200)
  @ApiOperation({ summary: 'Progress of an n8n execution' })
  workflowStatus(
    @Body() dto: WorkflowStatusDto,
    @Idempotency() idem: IdempotencyKey | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.reply(res, this.statusWriter.write(dto, idem));
  }

  @Post('error-notification')
  @HttpCode(200)
  @ApiOperation({ summary: 'An n8n workflow failed; raises workflow_error' })
  errorNotification(
    @Body() dto: ErrorNotificationDto,
    @Idempotency() idem: IdempotencyKey | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.apply('error-notification', idem, res, (m) => this.errors.report(dto, m));
  }

  @Get('health')
  @ApiOperation({ summary: 'Whether the bridge can take callbacks and deliver events (503 when not)' })
  async healthCheck(@Res({ passthrough: true }) res: Response) {
    const health = await this.health.check();
    res.status(health.status === 'down' ? 503 : 200);
    return health;
  }

  private apply(endpoint: string, idem: IdempotencyKey | undefined, res: Response, work: (m: EntityManager) => Promise<CallbackResult>) {
    return this.reply(res, this.idempotency.apply(endpoint, idem, work));
  }

  private async reply(res: Response, applied: Promise<AppliedCallback>) {
    const result = await applied;
    res.status(result.status);
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return result.body;
  }
}
