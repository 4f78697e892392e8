import { Body, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { AdminApiController, ApiById, IdParam } from '../common/admin-api.decorators';
import { toEntityFields, toPageResponse } from '../common/wire-format';
import { CreateVideoDto, ListVideosQueryDto, UpdateVideoDto } from './dto/video-input.dto';
import { toVideoResponse, VideoPageResponse, VideoResponse } from './dto/video-response.dto';
import { Video } from './video.entity';
import { VideoService } from './video.service';

@AdminApiController('videos', 'videos')
export class VideoController {
  constructor(private readonly videos: VideoService) {}

  @Post()
  @ApiCreatedResponse({ type: VideoResponse, description: 'An unknown lead_id / demo_id is a 400 naming the field' })
  async create(@Body() dto: CreateVideoDto): Promise<VideoResponse> {
    return toVideoResponse(await this.videos.create(toEntityFields<Video>(dto)));
  }

  @Get()
  @ApiOkResponse({ type: VideoPageResponse })
  async list(@Query() { limit, offset, ...filters }: ListVideosQueryDto): Promise<VideoPageResponse> {
    return toPageResponse(await this.videos.list(toEntityFields<Video>(filters), { limit, offset }), toVideoResponse);
  }

  @Get(':id')
  @ApiById()
  @ApiOkResponse({ type: VideoResponse })
  async get(@IdParam() id: string): Promise<VideoResponse> {
    return toVideoResponse(await this.videos.findById(id));
  }

  @Patch(':id')
  @ApiById()
  @ApiOkResponse({ type: VideoResponse })
  async update(@IdParam() id: string, @Body() dto: UpdateVideoDto): Promise<VideoResponse> {
    return toVideoResponse(await this.videos.update(id, toEntityFields<Video>(dto)));
  }
}
