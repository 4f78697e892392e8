import { EntityManager } from 'typeorm';
import { Demo } from '../demos/demo.entity';
import { Lead } from '../leads/lead.entity';
import { Video } from '../videos/video.entity';
import { invalidReference } from './database-errors';

/** `lead_id` of a new demo / video / email must name an existing lead (else a 400 naming `lead_id`). */
export async function assertLeadExists(manager: EntityManager, leadId: string | undefined): Promise<void> {
  if (leadId === undefined) return;
  if (!(await manager.exists(Lead, { where: { id: leadId } }))) throw invalidReference('lead_id', 'does not match any lead');
}

/**
 * An optional reference to a demo or video (`demo_id`, `video_id`) must name an existing row
 * of the same lead; `null` clears it. Errors are 400s naming the field.
 */
export async function assertSiblingExists(
  manager: EntityManager,
  target: typeof Demo | typeof Video,
  field: 'demo_id' | 'video_id',
  id: string | null | undefined,
  leadId: string | undefined,
): Promise<void> {
  if (id === undefined || id === null) return;
  const row = await manager.findOne<Demo | Video>(target, { where: { id }, select: { id: true, leadId: true } });
  const kind = target === Demo ? 'demo' : 'video';
  if (!row) throw invalidReference(field, `does not match any ${kind}`);
  if (leadId !== undefined && row.leadId !== leadId) throw invalidReference(field, `belongs to another lead than lead_id`);
}
