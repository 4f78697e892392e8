import { applyDecorators, Controller, Param, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiParam, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ValidationFailedError } from '../../common/errors/app-errors';
import { AdminTokenGuard } from '../../common/guards/admin-token.guard';

/** A controller of the internal REST API: `/api/v1/<path>`, bearer `ADMIN_TOKEN`, documented under `tag`. */
export function AdminApiController(path: string, tag: string): ClassDecorator {
  return applyDecorators(
    Controller(`api/v1/${path}`),
    UseGuards(AdminTokenGuard),
    ApiTags(tag),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token' }),
    ApiBadRequestResponse({ description: 'validation_failed: `details` names every bad field' }),
  );
}

const uuidPipe = new ParseUUIDPipe({ exceptionFactory: () => new ValidationFailedError([{ field: 'id', errors: ['id must be a UUID'] }]) });

/** The `:id` route parameter: a malformed id is a 400 naming `id`; an unknown one is a 404 from the service. */
export function IdParam(): ParameterDecorator {
  return Param('id', uuidPipe);
}

/** Swagger for a route that loads one row by `:id`. */
export function ApiById(): MethodDecorator {
  return applyDecorators(ApiParam({ name: 'id', format: 'uuid' }), ApiNotFoundResponse({ description: 'not_found: no row with this id' }));
}
