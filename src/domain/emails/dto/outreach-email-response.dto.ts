import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../common/dto/page.dto';
import { RowResponse } from '../../common/dto/row-response.dto';
import { EMAIL_STATUSES, EmailStatus } from '../../statuses';
import { OutreachEmail } from '../outreach-email.entity';

export class OutreachEmailResponse extends RowResponse {
  @ApiProperty({ format: 'uuid' }) lead_id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) video_id: string | null;
  @ApiProperty({ type: String, nullable: true }) to_address: string | null;
  @ApiProperty({ type: String, nullable: true }) subject: string | null;
  @ApiProperty({ enum: EMAIL_STATUSES }) status: EmailStatus;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sent_at: Date | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
}

export class OutreachEmailPageResponse extends PageMetaDto {
  @ApiProperty({ type: [OutreachEmailResponse] }) items: OutreachEmailResponse[];
}

export function toOutreachEmailResponse(email: OutreachEmail): OutreachEmailResponse {
  return {
    id: email.id,
    lead_id: email.leadId,
    video_id: email.videoId,
    to_address: email.toAddress,
    subject: email.subject,
    status: email.status,
    error: email.error,
    sent_at: email.sentAt,
    metadata: email.metadata,
    created_at: email.createdAt,
    updated_at: email.updatedAt,
  };
}
