/** Payload shapes of events that are not about a domain entity (entity payloads are the REST response shapes, see src/domain). */
export interface WorkflowErrorData {
  workflow_id: string;
  execution_id?: string | null;
  lead_id?: string | null;
  node?: string | null;
  error_message: string;
  severity: 'warning' | 'error' | 'critical';
  /** Where the error was raised: an n8n error-notification callback, or a service of this backend. */
  source: string;
}
