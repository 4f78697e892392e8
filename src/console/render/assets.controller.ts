import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { EntityNotFoundError } from '../../common/errors/app-errors';
import { ConsoleAssets } from './console-assets';

/** `/console/assets/<name>`: the console's CSS, script and icon; public (the sign-in page needs them), cached for good. */
@ApiExcludeController()
@Controller('console/assets')
export class AssetsController {
  constructor(private readonly assets: ConsoleAssets) {}

  @Get(':name')
  serve(@Param('name') name: string, @Headers('if-none-match') etag: string | undefined, @Res() res: Response): void {
    const asset = this.assets.find(name);
    if (!asset) throw new EntityNotFoundError('asset', name.slice(0, 100));
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', `"${asset.etag}"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (etag === `"${asset.etag}"`) {
      res.status(304).end();
      return;
    }
    res.type(asset.type).send(asset.body);
  }
}
