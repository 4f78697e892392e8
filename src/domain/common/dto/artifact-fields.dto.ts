import { APPROVAL_STATUSES, ApprovalStatus } from '../../statuses';
import { MetadataField, OptionalDateTime, OptionalHttpUrl, OptionalStatus, OptionalText } from './field-rules';

/** Fields demos and videos share: the produced artifact and its human review. */
export class ArtifactFieldsDto {
  @OptionalHttpUrl('Where the finished artifact can be seen')
  url?: string | null;

  @OptionalStatus(APPROVAL_STATUSES, 'Human review; `pending` asks for an approval')
  approval_status?: ApprovalStatus;

  @OptionalText(10_000, 'Why the build failed')
  error?: string | null;

  @OptionalText(200)
  reviewed_by?: string | null;

  @OptionalDateTime()
  reviewed_at?: Date | null;

  @OptionalText(10_000)
  review_notes?: string | null;

  @MetadataField()
  metadata?: Record<string, unknown>;
}
