import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsUUID, MaxLength } from 'class-validator';
import {
  LeadReference,
  MetadataField,
  OptionalDateTime,
  OptionalReference,
  OptionalStatus,
  OptionalText,
} from '../../common/dto/field-rules';
import { PageQueryDto } from '../../common/dto/page.dto';
import { EMAIL_STATUSES, EmailStatus } from '../../statuses';

/** Every field optional; an email stays with its lead (no `lead_id`). */
export class UpdateOutreachEmailDto {
  @OptionalReference('The video this email presents; must be a video of the same lead')
  video_id?: string | null;

  @ApiPropertyOptional({ type: String, format: 'email', nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  to_address?: string | null;

  @OptionalText(1000)
  subject?: string | null;

  @OptionalStatus(EMAIL_STATUSES, 'Defaults to `queued`; `sent` without sent_at stamps the current time')
  status?: EmailStatus;

  @OptionalText(10_000, 'Why sending failed')
  error?: string | null;

  @OptionalDateTime()
  sent_at?: Date | null;

  @MetadataField()
  metadata?: Record<string, unknown>;
}

export class CreateOutreachEmailDto extends UpdateOutreachEmailDto {
  @LeadReference()
  lead_id: string;
}

export class ListOutreachEmailsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: EMAIL_STATUSES })
  @IsOptional()
  @IsIn([...EMAIL_STATUSES])
  status?: EmailStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  lead_id?: string;
}
