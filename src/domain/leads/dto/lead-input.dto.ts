import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { LEAD_STATUSES, LeadStatus } from '../../statuses';
import { PageQueryDto } from '../../common/dto/page.dto';
import { HttpUrlRules, MAX_URL_LENGTH, MetadataField, OptionalNotNull, OptionalStatus, OptionalText } from '../../common/dto/field-rules';

const MAX_TITLE_LENGTH = 500;

/** Optional on create and on update. */
class LeadFieldsDto {
  @ApiPropertyOptional({ type: String, format: 'email', nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string | null;

  @OptionalText(50)
  phone?: string | null;

  @OptionalText(200)
  city?: string | null;

  @OptionalText(200)
  category?: string | null;

  @OptionalText(200, 'Where the lead was scraped from')
  source?: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  score?: number | null;

  @OptionalStatus(LEAD_STATUSES, 'Defaults to `new`')
  status?: LeadStatus;

  @MetadataField()
  metadata?: Record<string, unknown>;
}

export class CreateLeadDto extends LeadFieldsDto {
  @ApiProperty({ maxLength: MAX_TITLE_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TITLE_LENGTH)
  title: string;

  @ApiProperty({ format: 'uri', maxLength: MAX_URL_LENGTH, description: 'Unique: a second lead with the same url is a 409' })
  @HttpUrlRules()
  url: string;
}

/** Every field optional; `title` and `url` cannot be cleared. */
export class UpdateLeadDto extends LeadFieldsDto {
  @ApiPropertyOptional({ maxLength: MAX_TITLE_LENGTH })
  @OptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TITLE_LENGTH)
  title?: string;

  @ApiPropertyOptional({ format: 'uri', maxLength: MAX_URL_LENGTH })
  @OptionalNotNull()
  @HttpUrlRules()
  url?: string;
}

export class ListLeadsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: LEAD_STATUSES })
  @IsOptional()
  @IsIn([...LEAD_STATUSES])
  status?: LeadStatus;
}
