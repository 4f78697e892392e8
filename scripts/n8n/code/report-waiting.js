// Tells the bridge the execution waits for a reviewer, and where the review form is
// (workflow-status "waiting"; the form URL lands in the execution's last step).
const { event, lead_id } = $('Verify signature').first().json;
return [
  {
    json: {
      callback: 'workflow-status',
      payload: {
        workflow_id: $workflow.id,
        execution_id: $execution.id,
        status: 'waiting',
        step: `${event}: review at ${$execution.resumeFormUrl}`,
        lead_id,
      },
    },
  },
];
