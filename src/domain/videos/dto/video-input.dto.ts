import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { ArtifactFieldsDto } from '../../common/dto/artifact-fields.dto';
import { LeadReference, OptionalReference, OptionalStatus } from '../../common/dto/field-rules';
import { PageQueryDto } from '../../common/dto/page.dto';
import { APPROVAL_STATUSES, ApprovalStatus, VIDEO_STATUSES, VideoStatus } from '../../statuses';

/** Every field optional; a video stays with its lead (no `lead_id`). */
export class UpdateVideoDto extends ArtifactFieldsDto {
  @OptionalStatus(VIDEO_STATUSES, 'Defaults to `queued`; `completed` / `failed` raise video_completed / video_failed')
  status?: VideoStatus;

  @OptionalReference('The demo this video was recorded from; must be a demo of the same lead')
  demo_id?: string | null;
}

export class CreateVideoDto extends UpdateVideoDto {
  @LeadReference()
  lead_id: string;
}

export class ListVideosQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: VIDEO_STATUSES })
  @IsOptional()
  @IsIn([...VIDEO_STATUSES])
  status?: VideoStatus;

  @ApiPropertyOptional({ enum: APPROVAL_STATUSES })
  @IsOptional()
  @IsIn([...APPROVAL_STATUSES])
  approval_status?: ApprovalStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  lead_id?: string;
}
