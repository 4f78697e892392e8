import { ApiProperty } from '@nestjs/swagger';

/** Key and timestamps every domain row carries on the wire. */
export class RowResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updated_at: Date;
}
