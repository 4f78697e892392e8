import type { DeliveryDetail } from '../../operations/dto/delivery.response';
import { idsNamedIn, mentionTerms } from './journey.reader';

describe('journey lookups', () => {
  it('looks for callbacks naming the entity, the lead in the data, or an execution id n8n answered with', () => {
    const delivery = {
      entity: { type: 'demo', id: '3f1c2a9e-5b7d-4c1e-9a8b-2d4f6e8a0c1b' },
      payload: { data: { lead_id: '0b7e9a52-8f64-4a1e-b0c3-5e2d7f1a9c84', demo_id: 'short' } },
      logs: [{ response_body: '{"executionId":"exec-4711"}' }, { response_body: 'not json' }, { response_body: null }],
    } as unknown as DeliveryDetail;
    expect(mentionTerms(delivery)).toEqual(['3f1c2a9e-5b7d-4c1e-9a8b-2d4f6e8a0c1b', '0b7e9a52-8f64-4a1e-b0c3-5e2d7f1a9c84', 'exec-4711']);
  });

  it('finds the entities a callback names (its *_id fields, not the workflow or execution)', () => {
    const body = JSON.stringify({
      demo_id: 'demo-000001',
      workflow_id: 'wf-demo-builder',
      execution_id: '4711',
      lead_id: 'lead-000002',
      approved: true,
    });
    expect(idsNamedIn(body, '{"video_id":"video-00003"}', null, 'oops')).toEqual(['demo-000001', 'lead-000002', 'video-00003']);
  });
});
