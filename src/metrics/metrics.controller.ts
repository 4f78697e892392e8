import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminTokenGuard } from '../common/guards/admin-token.guard';
import { MetricsService } from './metrics.service';

/** Prometheus scrape endpoint, behind the admin bearer token (Prometheus: `authorization: { credentials: <ADMIN_TOKEN> }`). */
@ApiTags('metrics')
@ApiBearerAuth()
@Controller('metrics')
@UseGuards(AdminTokenGuard)
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token' })
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
