// Turns the Error Trigger's data into an error-notification callback for the bridge.
// Requests refused by the receiver's signature check fail on purpose and are not reported: the
// sender already got the 401, and reporting them would let anyone who can reach n8n raise
// workflow_error alerts at will.
const { execution = {}, workflow = {}, trigger } = $input.first().json;
if (execution.lastNodeExecuted === 'Refuse unverified request') return [];
const error = execution.error || (trigger && trigger.error) || {};
const failedNode = execution.lastNodeExecuted || (error.node && error.node.name);
return [
  {
    json: {
      callback: 'error-notification',
      payload: {
        workflow_id: String(workflow.id || workflow.name || 'unknown'),
        execution_id: execution.id !== undefined && execution.id !== null ? String(execution.id) : undefined,
        node: failedNode || undefined,
        error_message: String(error.message || 'The workflow execution failed').slice(0, 2000),
        severity: 'error',
      },
    },
  },
];
