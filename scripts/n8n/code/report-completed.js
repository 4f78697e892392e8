// Tells the bridge this execution finished the event (workflow-completed "success").
// A failure anywhere before this node goes to the error workflow instead.
const { event, delivery_id, lead_id } = $('Verify signature').first().json;
return [
  {
    json: {
      callback: 'workflow-completed',
      payload: {
        workflow_id: $workflow.id,
        execution_id: $execution.id,
        status: 'success',
        lead_id,
        result: { event, delivery_id },
        finished_at: new Date().toISOString(),
      },
    },
  },
];
