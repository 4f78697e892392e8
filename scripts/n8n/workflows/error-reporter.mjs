// The error workflow: reports every failed execution of the receiver to the bridge.
import { codeSource, connect, nodes, WORKFLOW_IDS, workflow } from './nodes.mjs';

export function errorReporterWorkflow() {
  const id = WORKFLOW_IDS.errorReporter;
  const n = nodes(id);
  return workflow({
    id,
    name: 'Bridge: report failed executions',
    description:
      'Error workflow of "Bridge: receive events" (set it as the error workflow of any other workflow too): sends error-notification to the bridge.',
    nodes: [
      n.raw('Error Trigger', 'n8n-nodes-base.errorTrigger', 1, [0, 0], {}),
      n.code('Describe failure', codeSource('describe-failure.js'), [240, 0]),
      n.sendCallback('Send error notification', [480, 0]),
    ],
    connections: connect([
      ['Error Trigger', 'Describe failure'],
      ['Describe failure', 'Send error notification'],
    ]),
  });
}
