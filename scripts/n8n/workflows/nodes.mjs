// Small builders for n8n 2.x workflow JSON (node types and versions as n8n 2.40 writes them).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const codeDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'code');

/** Fixed workflow ids, so workflows can reference each other (sub-workflow, error workflow) after import. */
export const WORKFLOW_IDS = {
  receiver: 'bridgeEventsRcv1',
  alerts: 'bridgeAlertsRcv1',
  callbackSender: 'bridgeCallbacks1',
  errorReporter: 'bridgeErrorsRpt1',
};

/** A UUID derived from a seed: ids stay the same from one build to the next. */
export function stableUuid(seed) {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function codeSource(file) {
  return readFileSync(join(codeDir, file), 'utf8');
}

function node(workflowId, name, type, typeVersion, position, parameters, extra = {}) {
  return { parameters, id: stableUuid(`${workflowId}/${name}`), name, type, typeVersion, position, ...extra };
}

export const nodes = (workflowId) => ({
  webhook: (name, path, position) =>
    node(
      workflowId,
      name,
      'n8n-nodes-base.webhook',
      2.1,
      position,
      { httpMethod: 'POST', path, responseMode: 'responseNode', options: { rawBody: true } },
      { webhookId: stableUuid(`${workflowId}/webhook/${path}`) },
    ),

  code: (name, source, position, notes) =>
    node(workflowId, name, 'n8n-nodes-base.code', 2, position, { jsCode: source }, notes ? { notes, notesInFlow: true } : {}),

  ifTrue: (name, expression, position) =>
    node(workflowId, name, 'n8n-nodes-base.if', 2.2, position, {
      conditions: {
        options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
        conditions: [
          {
            id: stableUuid(`${workflowId}/${name}/condition`),
            leftValue: expression,
            rightValue: '',
            operator: { type: 'boolean', operation: 'true', singleValue: true },
          },
        ],
        combinator: 'and',
      },
      options: {},
    }),

  /** One output per value of `expression` (in order), plus a last "fallback" output. */
  switchOn: (name, expression, values, position) =>
    node(workflowId, name, 'n8n-nodes-base.switch', 3.2, position, {
      rules: {
        values: values.map((value) => ({
          conditions: {
            options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
            conditions: [
              {
                id: stableUuid(`${workflowId}/${name}/${value}`),
                leftValue: expression,
                rightValue: value,
                operator: { type: 'string', operation: 'equals' },
              },
            ],
            combinator: 'and',
          },
          renameOutput: true,
          outputKey: value,
        })),
      },
      options: { fallbackOutput: 'extra', renameFallbackOutput: 'other' },
    }),

  respond: (name, statusExpression, bodyExpression, position) =>
    node(workflowId, name, 'n8n-nodes-base.respondToWebhook', 1.4, position, {
      respondWith: 'json',
      responseBody: bodyExpression,
      options: { responseCode: statusExpression },
    }),

  stopAndError: (name, messageExpression, position) =>
    node(workflowId, name, 'n8n-nodes-base.stopAndError', 1, position, { errorMessage: messageExpression }),

  noOp: (name, position, notes) =>
    node(workflowId, name, 'n8n-nodes-base.noOp', 1, position, {}, notes ? { notes, notesInFlow: true } : {}),

  /**
   * Calls the callback sender sub-workflow with the incoming items ({ callback, payload }) and waits
   * for it. A best-effort call (progress reports) lets the workflow go on when the callback fails;
   * any other failed callback fails the execution, and the error workflow reports it.
   */
  sendCallback: (name, position, { bestEffort = false } = {}) =>
    node(
      workflowId,
      name,
      'n8n-nodes-base.executeWorkflow',
      1.2,
      position,
      {
        workflowId: { __rl: true, value: WORKFLOW_IDS.callbackSender, mode: 'id' },
        workflowInputs: {
          mappingMode: 'defineBelow',
          value: {},
          matchingColumns: [],
          schema: [],
          attemptToConvertTypes: false,
          convertFieldsToString: true,
        },
        options: { waitForSubWorkflow: true },
      },
      bestEffort
        ? { onError: 'continueRegularOutput', notes: 'Best effort: a failed report does not stop the work', notesInFlow: true }
        : {},
    ),

  raw: (name, type, typeVersion, position, parameters, extra) => node(workflowId, name, type, typeVersion, position, parameters, extra),
});

/** `connections` from [from, to] pairs; `from` may be "Node Name#outputIndex". */
export function connect(pairs) {
  const connections = {};
  for (const [from, to] of pairs) {
    const [name, index = '0'] = from.split('#');
    const outputs = (connections[name] ??= { main: [] }).main;
    while (outputs.length <= Number(index)) outputs.push([]);
    outputs[Number(index)].push({ node: to, type: 'main', index: 0 });
  }
  return connections;
}

export function workflow({ id, name, nodes: list, connections, settings = {}, description }) {
  return {
    id,
    name,
    ...(description && { description }),
    nodes: list,
    connections,
    settings: { executionOrder: 'v1', saveManualExecutions: true, callerPolicy: 'workflowsFromSameOwner', ...settings },
    pinData: {},
    active: false,
    versionId: stableUuid(`${id}/version/${JSON.stringify(list)}${JSON.stringify(connections)}`),
    meta: { templateCredsSetupCompleted: true },
    tags: [],
  };
}
