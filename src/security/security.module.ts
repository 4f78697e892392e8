import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { HttpBodyModule } from '../common/http/http-body.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ReplayGuardService } from './replay-guard.service';
import { WebhookSignatureGuard } from './webhook-signature.guard';
import { WebhookSignerService } from './webhook-signer.service';
import { WebhookVerifierService } from './webhook-verifier.service';

/**
 * Signing (outgoing) and verification (incoming) of webhooks, shared by both directions of the
 * bridge: import it to inject the signer and verifier or put `@UseGuards(WebhookSignatureGuard)`
 * on an incoming route (the guard reads the body, audits and counts refusals).
 */
@Module({
  imports: [HttpBodyModule, AuditModule, MetricsModule],
  providers: [WebhookSignerService, WebhookVerifierService, ReplayGuardService, WebhookSignatureGuard],
  // `@UseGuards(WebhookSignatureGuard)` builds the guard in the module of the controller: it gets
  // what the guard needs through this module.
  exports: [
    WebhookSignerService,
    WebhookVerifierService,
    ReplayGuardService,
    WebhookSignatureGuard,
    HttpBodyModule,
    AuditModule,
    MetricsModule,
  ],
})
export class SecurityModule {}
