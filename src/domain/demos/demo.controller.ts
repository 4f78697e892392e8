import { Body, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { AdminApiController, ApiById, IdParam } from '../common/admin-api.decorators';
import { toEntityFields, toPageResponse } from '../common/wire-format';
import { Demo } from './demo.entity';
import { DemoService } from './demo.service';
import { CreateDemoDto, ListDemosQueryDto, UpdateDemoDto } from './dto/demo-input.dto';
import { DemoPageResponse, DemoResponse, toDemoResponse } from './dto/demo-response.dto';

@AdminApiController('demos', 'demos')
export class DemoController {
  constructor(private readonly demos: DemoService) {}

  @Post()
  @ApiCreatedResponse({ type: DemoResponse, description: 'An unknown lead_id is a 400 naming lead_id' })
  async create(@Body() dto: CreateDemoDto): Promise<DemoResponse> {
    return toDemoResponse(await this.demos.create(toEntityFields<Demo>(dto)));
  }

  @Get()
  @ApiOkResponse({ type: DemoPageResponse })
  async list(@Query() { limit, offset, ...filters }: ListDemosQueryDto): Promise<DemoPageResponse> {
    return toPageResponse(await this.demos.list(toEntityFields<Demo>(filters), { limit, offset }), toDemoResponse);
  }

  @Get(':id')
  @ApiById()
  @ApiOkResponse({ type: DemoResponse })
  async get(@IdParam() id: string): Promise<DemoResponse> {
    return toDemoResponse(await this.demos.findById(id));
  }

  @Patch(':id')
  @ApiById()
  @ApiOkResponse({ type: DemoResponse })
  async update(@IdParam() id: string, @Body() dto: UpdateDemoDto): Promise<DemoResponse> {
    return toDemoResponse(await this.demos.update(id, toEntityFields<Demo>(dto)));
  }
}
