import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '../../common/dto/page.dto';
import { RowResponse } from '../../common/dto/row-response.dto';
import { LEAD_STATUSES, LeadStatus } from '../../statuses';
import { Lead } from '../lead.entity';

export class LeadResponse extends RowResponse {
  @ApiProperty() title: string;
  @ApiProperty({ format: 'uri' }) url: string;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty({ type: String, nullable: true }) phone: string | null;
  @ApiProperty({ type: String, nullable: true }) city: string | null;
  @ApiProperty({ type: String, nullable: true }) category: string | null;
  @ApiProperty({ type: String, nullable: true }) source: string | null;
  @ApiProperty({ type: Number, nullable: true }) score: number | null;
  @ApiProperty({ enum: LEAD_STATUSES }) status: LeadStatus;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
}

export class LeadPageResponse extends PageMetaDto {
  @ApiProperty({ type: [LeadResponse] }) items: LeadResponse[];
}

export function toLeadResponse(lead: Lead): LeadResponse {
  return {
    id: lead.id,
    title: lead.title,
    url: lead.url,
    email: lead.email,
    phone: lead.phone,
    city: lead.city,
    category: lead.category,
    source: lead.source,
    score: lead.score,
    status: lead.status,
    metadata: lead.metadata,
    created_at: lead.createdAt,
    updated_at: lead.updatedAt,
  };
}
