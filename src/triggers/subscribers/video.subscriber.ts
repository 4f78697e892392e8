import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntitySubscriberInterface, InsertEvent, UpdateEvent } from 'typeorm';
import { Video } from '../../domain/videos/video.entity';
import { TriggerService } from '../trigger.service';
import { columnChange } from './status-transition';

/** status → completed / failed → video_completed / video_failed; approval_status → pending → approval_requested. */
@Injectable()
export class VideoSubscriber implements EntitySubscriberInterface<Video> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly triggers: TriggerService,
  ) {
    dataSource.subscribers.push(this);
  }

  listenTo() {
    return Video;
  }

  afterInsert(event: InsertEvent<Video>): Promise<void> {
    return this.raise(event);
  }

  afterUpdate(event: UpdateEvent<Video>): Promise<void> {
    return this.raise(event);
  }

  private async raise(event: InsertEvent<Video> | UpdateEvent<Video>): Promise<void> {
    const video = event.entity as Video;
    const options = { manager: event.manager };
    const status = columnChange(event, 'status');
    if (status?.to === 'completed') await this.triggers.videoCompleted(video, options);
    if (status?.to === 'failed') await this.triggers.videoFailed(video, options);
    if (columnChange(event, 'approvalStatus')?.to === 'pending') await this.triggers.approvalRequested({ kind: 'video', video }, options);
  }
}
