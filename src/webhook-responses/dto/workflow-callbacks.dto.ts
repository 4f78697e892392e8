import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsRealTimestamp } from '../../common/validation/is-real-timestamp.decorator';
import { ERROR_SEVERITIES, ErrorSeverity } from '../workflow-error-report.entity';

class WorkflowRefDto {
  @ApiProperty({ example: 'wf-demo-builder' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  workflow_id: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  lead_id?: string;
}

export class WorkflowCompletedDto extends WorkflowRefDto {
  @ApiProperty({ example: '4711' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  execution_id: string;

  @ApiProperty({ enum: ['success', 'error'] })
  @IsIn(['success', 'error'])
  status: 'success' | 'error';

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { demo_url: 'https://demos.example/x' } })
  @IsOptional()
  @IsObject()
  result?: Record<string, unknown>;

  @ApiPropertyOptional({ example: '2026-11-29T10:00:00Z' })
  @IsOptional()
  @IsRealTimestamp()
  finished_at?: string;
}

export class WorkflowStatusDto extends WorkflowRefDto {
  @ApiProperty({ example: '4711' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  execution_id: string;

  @ApiProperty({ enum: ['running', 'waiting', 'success', 'error'] })
  @IsIn(['running', 'waiting', 'success', 'error'])
  status: 'running' | 'waiting' | 'success' | 'error';

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  progress?: number;

  @ApiPropertyOptional({ example: 'Render video' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  step?: string;
}

export class ErrorNotificationDto extends WorkflowRefDto {
  @ApiPropertyOptional({ example: '4711' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  execution_id?: string;

  @ApiPropertyOptional({ example: 'HTTP Request' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  node?: string;

  @ApiProperty({ example: 'Request failed with status 502' })
  @IsString()
  @MinLength(1)
  @MaxLength(10000)
  error_message: string;

  @ApiProperty({ enum: ERROR_SEVERITIES })
  @IsIn(ERROR_SEVERITIES)
  severity: ErrorSeverity;
}
