import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../common/dto/page.dto';
import { RowResponse } from '../../common/dto/row-response.dto';
import { APPROVAL_STATUSES, ApprovalStatus, DEMO_STATUSES, DemoStatus } from '../../statuses';
import { Demo } from '../demo.entity';

export class DemoResponse extends RowResponse {
  @ApiProperty({ format: 'uuid' }) lead_id: string;
  @ApiProperty({ type: String, nullable: true }) url: string | null;
  @ApiProperty({ enum: DEMO_STATUSES }) status: DemoStatus;
  @ApiProperty({ enum: APPROVAL_STATUSES }) approval_status: ApprovalStatus;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: String, nullable: true }) reviewed_by: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) reviewed_at: Date | null;
  @ApiProperty({ type: String, nullable: true }) review_notes: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
}

export class DemoPageResponse extends PageMetaDto {
  @ApiProperty({ type: [DemoResponse] }) items: DemoResponse[];
}

export function toDemoResponse(demo: Demo): DemoResponse {
  return {
    id: demo.id,
    lead_id: demo.leadId,
    url: demo.url,
    status: demo.status,
    approval_status: demo.approvalStatus,
    error: demo.error,
    reviewed_by: demo.reviewedBy,
    reviewed_at: demo.reviewedAt,
    review_notes: demo.reviewNotes,
    metadata: demo.metadata,
    created_at: demo.createdAt,
    updated_at: demo.updatedAt,
  };
}
