// Tells the bridge this execution started working on the event (workflow-status "running"):
// the bridge records it in workflow_executions, linked to the lead.
const { event, lead_id } = $('Verify signature').first().json;
return [
  {
    json: {
      callback: 'workflow-status',
      payload: {
        workflow_id: $workflow.id,
        execution_id: $execution.id,
        status: 'running',
        progress: 0,
        step: `received ${event}`,
        lead_id,
      },
    },
  },
];
