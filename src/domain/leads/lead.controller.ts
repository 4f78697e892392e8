import { Body, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { AdminApiController, ApiById, IdParam } from '../common/admin-api.decorators';
import { toEntityFields, toPageResponse } from '../common/wire-format';
import { CreateLeadDto, ListLeadsQueryDto, UpdateLeadDto } from './dto/lead-input.dto';
import { LeadPageResponse, LeadResponse, toLeadResponse } from './dto/lead-response.dto';
import { Lead } from './lead.entity';
import { LeadService } from './lead.service';

@AdminApiController('leads', 'leads')
export class LeadController {
  constructor(private readonly leads: LeadService) {}

  @Post()
  @ApiCreatedResponse({ type: LeadResponse })
  @ApiConflictResponse({ description: 'conflict: a lead with this url already exists' })
  async create(@Body() dto: CreateLeadDto): Promise<LeadResponse> {
    return toLeadResponse(await this.leads.create(toEntityFields<Lead>(dto)));
  }

  @Get()
  @ApiOkResponse({ type: LeadPageResponse })
  async list(@Query() { limit, offset, ...filters }: ListLeadsQueryDto): Promise<LeadPageResponse> {
    return toPageResponse(await this.leads.list(toEntityFields<Lead>(filters), { limit, offset }), toLeadResponse);
  }

  @Get(':id')
  @ApiById()
  @ApiOkResponse({ type: LeadResponse })
  async get(@IdParam() id: string): Promise<LeadResponse> {
    return toLeadResponse(await this.leads.findById(id));
  }

  @Patch(':id')
  @ApiById()
  @ApiOkResponse({ type: LeadResponse })
  @ApiConflictResponse({ description: 'conflict: another lead has this url' })
  async update(@IdParam() id: string, @Body() dto: UpdateLeadDto): Promise<LeadResponse> {
    return toLeadResponse(await this.leads.update(id, toEntityFields<Lead>(dto)));
  }
}
