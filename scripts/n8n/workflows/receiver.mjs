// The receiver: one Webhook node per business event path, one shared signature check, one branch
// per event. workflow_error has its own workflow (alerts.mjs): see n8n/README.md.
import { codeSource, connect, nodes, stableUuid, WORKFLOW_IDS, workflow } from './nodes.mjs';
import { completion, intake } from './intake.mjs';

/** The ten business events of docs/events.md, in that order; each arrives at /webhook/<type-with-dashes>. */
export const EVENTS = [
  'lead_scraped',
  'lead_qualified',
  'demo_completed',
  'demo_failed',
  'video_completed',
  'video_failed',
  'email_sent',
  'email_failed',
  'lead_responded',
  'approval_requested',
];

export function receiverWorkflow() {
  const id = WORKFLOW_IDS.receiver;
  const n = nodes(id);
  const row = (i) => i * 128;
  const head = intake(n, EVENTS);
  const approvalY = row(EVENTS.indexOf('approval_requested'));

  const handlers = EVENTS.map((event, i) =>
    n.noOp(`Handle ${event}`, [1900, row(i)], event === 'approval_requested' ? undefined : `Your ${event} steps go here`),
  );
  const done = completion(
    n,
    [...EVENTS.filter((e) => e !== 'approval_requested').map((e) => `Handle ${e}`), 'Handle other events', 'Send approval'],
    [3680, head.midY],
  );

  const list = [
    ...head.list,
    n.switchOn('Route by event', '={{ $json.event }}', EVENTS, [1620, head.midY]),
    ...handlers,
    n.noOp('Handle other events', [1900, row(EVENTS.length)], 'A type this workflow does not know yet'),
    n.ifTrue('Auto-approve?', "={{ ['true', '1', 'yes'].includes(String($env.AUTO_APPROVE ?? '').toLowerCase()) }}", [2120, approvalY]),
    n.code('Auto-approve', codeSource('auto-approve.js'), [2340, approvalY - 100]),
    n.code('Report waiting', codeSource('report-waiting.js'), [2340, approvalY + 100]),
    n.sendCallback('Send waiting status', [2560, approvalY + 100], { bestEffort: true }),
    n.raw(
      'Wait for reviewer',
      'n8n-nodes-base.wait',
      1.1,
      [2780, approvalY + 100],
      {
        resume: 'form',
        formTitle: '={{ `Approve this ${$("Verify signature").first().json.envelope.data.subject}?` }}',
        formDescription:
          "={{ (() => { const d = $('Verify signature').first().json.envelope.data; const s = d[d.subject] || {}; return [s.url, d.lead && d.lead.title].filter(Boolean).join(' — '); })() }}",
        formFields: {
          values: [
            {
              fieldLabel: 'Decision',
              fieldType: 'dropdown',
              fieldOptions: { values: [{ option: 'Approve' }, { option: 'Reject' }] },
              requiredField: true,
            },
            { fieldLabel: 'Reviewer', requiredField: true },
            { fieldLabel: 'Notes', fieldType: 'textarea' },
          ],
        },
        limitWaitTime: true,
        limitType: 'afterTimeInterval',
        resumeAmount: 7,
        resumeUnit: 'days',
        options: {},
      },
      { webhookId: stableUuid(`${id}/wait-for-reviewer`) },
    ),
    n.code('Read review form', codeSource('read-review-form.js'), [3000, approvalY + 100]),
    n.code('Build approval callback', codeSource('build-approval-callback.js'), [3220, approvalY]),
    n.sendCallback('Send approval', [3440, approvalY]),
    ...done.list,
  ];

  const pairs = [
    ...head.pairs,
    ['Continue with event', 'Route by event'],
    ...EVENTS.map((event, i) => [`Route by event#${i}`, `Handle ${event}`]),
    [`Route by event#${EVENTS.length}`, 'Handle other events'],
    ['Handle approval_requested', 'Auto-approve?'],
    ['Auto-approve?#0', 'Auto-approve'],
    ['Auto-approve?#1', 'Report waiting'],
    ['Auto-approve', 'Build approval callback'],
    ['Report waiting', 'Send waiting status'],
    ['Send waiting status', 'Wait for reviewer'],
    ['Wait for reviewer', 'Read review form'],
    ['Read review form', 'Build approval callback'],
    ['Build approval callback', 'Send approval'],
    ...done.pairs,
  ];

  return workflow({
    id,
    name: 'Bridge: receive events',
    description:
      "Receives the bridge's signed events (all but workflow_error), verifies each, and routes it by type. Import with the callback sender, the alert receiver and the error reporter.",
    nodes: list,
    connections: connect(pairs),
    settings: { errorWorkflow: WORKFLOW_IDS.errorReporter },
  });
}
