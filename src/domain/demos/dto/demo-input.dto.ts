import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { ArtifactFieldsDto } from '../../common/dto/artifact-fields.dto';
import { LeadReference, OptionalStatus } from '../../common/dto/field-rules';
import { PageQueryDto } from '../../common/dto/page.dto';
import { APPROVAL_STATUSES, ApprovalStatus, DEMO_STATUSES, DemoStatus } from '../../statuses';

/** Every field optional; a demo stays with its lead (no `lead_id`). */
export class UpdateDemoDto extends ArtifactFieldsDto {
  @OptionalStatus(DEMO_STATUSES, 'Defaults to `pending`; `completed` / `failed` raise demo_completed / demo_failed')
  status?: DemoStatus;
}

export class CreateDemoDto extends UpdateDemoDto {
  @LeadReference()
  lead_id: string;
}

export class ListDemosQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DEMO_STATUSES })
  @IsOptional()
  @IsIn([...DEMO_STATUSES])
  status?: DemoStatus;

  @ApiPropertyOptional({ enum: APPROVAL_STATUSES })
  @IsOptional()
  @IsIn([...APPROVAL_STATUSES])
  approval_status?: ApprovalStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  lead_id?: string;
}
