import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../common/dto/page.dto';
import { RowResponse } from '../../common/dto/row-response.dto';
import { APPROVAL_STATUSES, ApprovalStatus, VIDEO_STATUSES, VideoStatus } from '../../statuses';
import { Video } from '../video.entity';

export class VideoResponse extends RowResponse {
  @ApiProperty({ format: 'uuid' }) lead_id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) demo_id: string | null;
  @ApiProperty({ type: String, nullable: true }) url: string | null;
  @ApiProperty({ enum: VIDEO_STATUSES }) status: VideoStatus;
  @ApiProperty({ enum: APPROVAL_STATUSES }) approval_status: ApprovalStatus;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: String, nullable: true }) reviewed_by: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) reviewed_at: Date | null;
  @ApiProperty({ type: String, nullable: true }) review_notes: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
}

export class VideoPageResponse extends PageMetaDto {
  @ApiProperty({ type: [VideoResponse] }) items: VideoResponse[];
}

export function toVideoResponse(video: Video): VideoResponse {
  return {
    id: video.id,
    lead_id: video.leadId,
    demo_id: video.demoId,
    url: video.url,
    status: video.status,
    approval_status: video.approvalStatus,
    error: video.error,
    reviewed_by: video.reviewedBy,
    reviewed_at: video.reviewedAt,
    review_notes: video.reviewNotes,
    metadata: video.metadata,
    created_at: video.createdAt,
    updated_at: video.updatedAt,
  };
}
