// Turns the decision into the callback for the approval's subject: demo-approval or video-approval.
const { envelope } = $('Verify signature').first().json;
const decision = $input.first().json;
const subject = envelope.data && envelope.data.subject;
const common = {
  approved: decision.approved === true,
  reviewer: decision.reviewer,
  notes: decision.notes,
  execution_id: $execution.id,
};
if (subject === 'demo') return [{ json: { callback: 'demo-approval', payload: { demo_id: envelope.entity.id, ...common } } }];
if (subject === 'video') return [{ json: { callback: 'video-approval', payload: { video_id: envelope.entity.id, ...common } } }];
throw new Error(`approval_requested for an unknown subject "${subject}"`);
