import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ConflictError, EntityNotFoundError } from '../common/errors/app-errors';
import { Demo } from '../domain/demos/demo.entity';
import { OutreachEmail } from '../domain/emails/outreach-email.entity';
import { Lead } from '../domain/leads/lead.entity';
import { Video } from '../domain/videos/video.entity';
import { toDemoResponse as demoData } from '../domain/demos/dto/demo-response.dto';
import { toOutreachEmailResponse as emailData } from '../domain/emails/dto/outreach-email-response.dto';
import { toVideoResponse as videoData } from '../domain/videos/dto/video-response.dto';
import { CallbackResult, ok } from './callback-result';
import { DemoApprovalDto, VideoApprovalDto } from './dto/approval-callback.dto';

type Reviewable = Demo | Video;

/**
 * Human decisions on demos and videos. The row is locked for the decision, so concurrent
 * callbacks are serialised; repeating the same decision changes nothing and answers the same;
 * a different decision on a decided row, or a decision on a row not awaiting one, is a 409.
 * Approval chains the next step in the same transaction: a queued video for an approved demo,
 * a queued outreach email for an approved video (exactly one each).
 */
@Injectable()
export class ApprovalsService {
  async decideDemo(dto: DemoApprovalDto, manager: EntityManager): Promise<CallbackResult> {
    const demo = await lockRow(manager, Demo, dto.demo_id, 'Demo');
    if (this.decide(demo, dto, 'demo')) await manager.save(demo);
    const video = demo.approvalStatus === 'approved' ? await this.videoFor(manager, demo) : null;
    return ok({ demo: demoData(demo), video: video && videoData(video) });
  }

  async decideVideo(dto: VideoApprovalDto, manager: EntityManager): Promise<CallbackResult> {
    const video = await lockRow(manager, Video, dto.video_id, 'Video');
    if (this.decide(video, dto, 'video')) await manager.save(video);
    const email = video.approvalStatus === 'approved' ? await this.emailFor(manager, video) : null;
    return ok({ video: videoData(video), email: email && emailData(email) });
  }

  /** Applies the decision to the row; false when it was already made (nothing to change). */
  private decide(row: Reviewable, dto: DemoApprovalDto | VideoApprovalDto, kind: string): boolean {
    const decision = dto.approved ? 'approved' : 'rejected';
    if (row.approvalStatus === decision) return false;
    if (row.approvalStatus !== 'pending') {
      const state = { id: row.id, approval_status: row.approvalStatus, reviewed_by: row.reviewedBy, reviewed_at: row.reviewedAt };
      throw new ConflictError(
        row.approvalStatus === 'not_required' ? `The ${kind} is not awaiting approval` : `The ${kind} was already ${row.approvalStatus}`,
        state,
      );
    }
    row.approvalStatus = decision;
    row.reviewedBy = dto.reviewer ?? null;
    row.reviewedAt = new Date();
    row.reviewNotes = dto.notes ?? null;
    if (dto.execution_id) row.metadata = { ...row.metadata, approval_execution_id: dto.execution_id };
    return true;
  }

  /** The video requested for an approved demo: created once, found afterwards. */
  private async videoFor(manager: EntityManager, demo: Demo): Promise<Video> {
    const existing = await manager.findOne(Video, { where: { demoId: demo.id }, order: { createdAt: 'ASC' } });
    if (existing) return existing;
    return manager.save(
      manager.create(Video, {
        leadId: demo.leadId,
        demoId: demo.id,
        status: 'queued',
        approvalStatus: 'not_required',
        metadata: { requested_by: 'demo-approval' },
      }),
    );
  }

  /** The outreach email requested for an approved video: created once, found afterwards. */
  private async emailFor(manager: EntityManager, video: Video): Promise<OutreachEmail> {
    const existing = await manager.findOne(OutreachEmail, { where: { videoId: video.id }, order: { createdAt: 'ASC' } });
    if (existing) return existing;
    const lead = await manager.findOneByOrFail(Lead, { id: video.leadId });
    return manager.save(
      manager.create(OutreachEmail, {
        leadId: lead.id,
        videoId: video.id,
        toAddress: lead.email,
        subject: `A new website for ${lead.title}`.slice(0, 200),
        status: 'queued',
        metadata: { requested_by: 'video-approval' },
      }),
    );
  }
}

async function lockRow<T extends Reviewable>(manager: EntityManager, entity: new () => T, id: string, name: string): Promise<T> {
  const row = await manager.getRepository<Reviewable>(entity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  if (!row) throw new EntityNotFoundError(name, id);
  return row as T;
}
