// The callback sender: a sub-workflow that signs and sends callbacks to the bridge.
import { codeSource, connect, nodes, WORKFLOW_IDS, workflow } from './nodes.mjs';

export function callbackSenderWorkflow() {
  const id = WORKFLOW_IDS.callbackSender;
  const n = nodes(id);
  return workflow({
    id,
    name: 'Bridge: send signed callback',
    description:
      "Sub-workflow. Input items: { callback, payload, idempotency_key? } with callback one of demo-approval, video-approval, workflow-completed, workflow-status, error-notification; idempotency_key, when given, must differ per item (omit it to derive one from the content). Output: the bridge's answer.",
    nodes: [
      n.raw('When called by another workflow', 'n8n-nodes-base.executeWorkflowTrigger', 1.1, [0, 0], { inputSource: 'passthrough' }),
      n.code('Build and sign', codeSource('sign-callback.js'), [240, 0], 'Signs the exact JSON text it builds'),
      n.raw(
        'POST to bridge',
        'n8n-nodes-base.httpRequest',
        4.2,
        [480, 0],
        {
          method: 'POST',
          url: '={{ $json.url }}',
          sendHeaders: true,
          specifyHeaders: 'keypair',
          headerParameters: {
            parameters: [
              { name: 'X-Webhook-Timestamp', value: '={{ $json.timestamp }}' },
              { name: 'X-Webhook-Signature-256', value: '={{ $json.signature }}' },
              { name: 'X-Webhook-Id', value: '={{ $json.id }}' },
            ],
          },
          sendBody: true,
          contentType: 'raw',
          rawContentType: 'application/json',
          body: '={{ $json.body }}',
          options: { timeout: 10000 },
        },
        { retryOnFail: true, maxTries: 3, waitBetweenTries: 2000, notes: 'Raw body: sends the signed text unchanged', notesInFlow: true },
      ),
    ],
    connections: connect([
      ['When called by another workflow', 'Build and sign'],
      ['Build and sign', 'POST to bridge'],
    ]),
  });
}
