// AUTO_APPROVE=true (tests, demos): approve without a human.
return [{ json: { approved: true, reviewer: 'n8n auto-approve', notes: 'Approved automatically (AUTO_APPROVE=true) — no human review' } }];
