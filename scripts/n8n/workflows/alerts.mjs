// The alert receiver: workflow_error events, in a workflow of their own so the bridge can tell its
// failures apart (N8N_ALERT_WORKFLOW_ID) and raise no new workflow_error for them: no alert loop.
import { connect, nodes, WORKFLOW_IDS, workflow } from './nodes.mjs';
import { completion, intake } from './intake.mjs';

export function alertsWorkflow() {
  const id = WORKFLOW_IDS.alerts;
  const n = nodes(id);
  const head = intake(n, ['workflow_error']);
  const done = completion(n, ['Handle workflow_error'], [1900, head.midY]);
  return workflow({
    id,
    name: 'Bridge: receive alerts',
    description:
      "Receives workflow_error events from the bridge, verifies each, and hands it to your alerting steps. Set N8N_ALERT_WORKFLOW_ID to this workflow's id on the bridge.",
    nodes: [...head.list, n.noOp('Handle workflow_error', [1620, head.midY], 'Notify someone: Slack, e-mail, pager…'), ...done.list],
    connections: connect([...head.pairs, ['Continue with event', 'Handle workflow_error'], ...done.pairs]),
    settings: { errorWorkflow: WORKFLOW_IDS.errorReporter },
  });
}
