import { Body, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { AdminApiController, ApiById, IdParam } from '../common/admin-api.decorators';
import { toEntityFields, toPageResponse } from '../common/wire-format';
import { CreateOutreachEmailDto, ListOutreachEmailsQueryDto, UpdateOutreachEmailDto } from './dto/outreach-email-input.dto';
import { OutreachEmailPageResponse, OutreachEmailResponse, toOutreachEmailResponse } from './dto/outreach-email-response.dto';
import { OutreachEmail } from './outreach-email.entity';
import { OutreachEmailService } from './outreach-email.service';

@AdminApiController('emails', 'emails')
export class OutreachEmailController {
  constructor(private readonly emails: OutreachEmailService) {}

  @Post()
  @ApiCreatedResponse({ type: OutreachEmailResponse, description: 'An unknown lead_id / video_id is a 400 naming the field' })
  async create(@Body() dto: CreateOutreachEmailDto): Promise<OutreachEmailResponse> {
    return toOutreachEmailResponse(await this.emails.create(toEntityFields<OutreachEmail>(dto)));
  }

  @Get()
  @ApiOkResponse({ type: OutreachEmailPageResponse })
  async list(@Query() { limit, offset, ...filters }: ListOutreachEmailsQueryDto): Promise<OutreachEmailPageResponse> {
    return toPageResponse(await this.emails.list(toEntityFields<OutreachEmail>(filters), { limit, offset }), toOutreachEmailResponse);
  }

  @Get(':id')
  @ApiById()
  @ApiOkResponse({ type: OutreachEmailResponse })
  async get(@IdParam() id: string): Promise<OutreachEmailResponse> {
    return toOutreachEmailResponse(await this.emails.findById(id));
  }

  @Patch(':id')
  @ApiById()
  @ApiOkResponse({ type: OutreachEmailResponse })
  async update(@IdParam() id: string, @Body() dto: UpdateOutreachEmailDto): Promise<OutreachEmailResponse> {
    return toOutreachEmailResponse(await this.emails.update(id, toEntityFields<OutreachEmail>(dto)));
  }
}
