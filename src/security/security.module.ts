import { Global, Module } from '@nestjs/common';
import { ReplayGuardService } from './replay-guard.service';
import { WebhookSignatureGuard } from './webhook-signature.guard';
import { WebhookSignerService } from './webhook-signer.service';
import { WebhookVerifierService } from './webhook-verifier.service';

/**
 * Signing (outgoing) and verification (incoming) of webhooks, shared by both directions of the
 * bridge. Global: any module can inject the signer and verifier or put
 * `@UseGuards(WebhookSignatureGuard)` on an incoming route.
 */
@Global()
@Module({
  providers: [WebhookSignerService, WebhookVerifierService, ReplayGuardService, WebhookSignatureGuard],
  exports: [WebhookSignerService, WebhookVerifierService, ReplayGuardService, WebhookSignatureGuard],
})
export class SecurityModule {}
