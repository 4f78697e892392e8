import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

class ApprovalDecisionDto {
  @ApiProperty({ description: 'true approves, false rejects' })
  @IsBoolean()
  approved: boolean;

  @ApiPropertyOptional({ example: 'marie@agency.example' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reviewer?: string;

  @ApiPropertyOptional({ example: 'Great colours, ship it' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  notes?: string;

  @ApiPropertyOptional({ description: 'n8n execution that made the decision', example: '4711' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  execution_id?: string;
}

export class DemoApprovalDto extends ApprovalDecisionDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  demo_id: string;
}

export class VideoApprovalDto extends ApprovalDecisionDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  video_id: string;
}
