import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the JavaScript of an n8n Code node ("Run Once for All Items") the way n8n does, without
 * n8n: the code is the body of an async function that sees `$input`, `$env`, `$execution`,
 * `$workflow`, `$('Node name')`, `require`, and `this.helpers.getBinaryDataBuffer`.
 * The real-n8n suite (roundtrip.n8n-spec.ts) proves the same code inside n8n itself.
 */
export interface N8nItem {
  json: Record<string, unknown>;
}

export interface CodeNodeContext {
  items?: N8nItem[];
  env?: Record<string, string | undefined>;
  /** The binary property `data` of item 0 (the raw request body after a Webhook node with Raw Body on). */
  binary?: Buffer;
  /** Output items of earlier nodes, for `$('Node name')`. */
  nodes?: Record<string, N8nItem[]>;
  executionId?: string;
  workflowId?: string;
}

// eslint-disable-next-line @typescript-eslint/require-await -- an async function is needed only to reach the AsyncFunction constructor
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<unknown>;

export async function runCodeNode(jsCode: string, ctx: CodeNodeContext = {}): Promise<N8nItem[]> {
  const items = ctx.items ?? [{ json: {} }];
  const list = (name: string, found?: N8nItem[]) => {
    if (!found) throw new Error(`No output of node "${name}" in this test context`);
    return { first: () => found[0], all: () => found };
  };
  const executionId = ctx.executionId ?? '101';
  const fn = new AsyncFunction('$input', '$env', '$execution', '$workflow', '$', 'require', jsCode);
  const helpers = {
    getBinaryDataBuffer: (index: number, property: string): Promise<Buffer> => {
      if (index !== 0 || property !== 'data' || !ctx.binary)
        return Promise.reject(new Error(`No binary data "${property}" on item ${String(index)}`));
      return Promise.resolve(ctx.binary);
    },
  };
  const result = await fn.call(
    { helpers },
    list('$input', items),
    ctx.env ?? {},
    { id: executionId, resumeFormUrl: `http://n8n.test/form-waiting/${executionId}` },
    { id: ctx.workflowId ?? 'wf-test' },
    (name: string) => list(name, ctx.nodes?.[name]),
    require,
  );
  return result as N8nItem[];
}

const WORKFLOW_DIR = join(__dirname, '..', '..', 'n8n');

export interface WorkflowJson {
  id: string;
  name: string;
  nodes: Array<{ name: string; type: string; typeVersion: number; parameters: Record<string, unknown>; webhookId?: string }>;
  connections: Record<string, { main: Array<Array<{ node: string }>> }>;
  settings: Record<string, unknown>;
}

/** Every workflow file of n8n/, by file name. */
export function loadWorkflows(): Record<string, WorkflowJson> {
  const out: Record<string, WorkflowJson> = {};
  for (const file of readdirSync(WORKFLOW_DIR).filter((f) => f.endsWith('.json'))) {
    out[file] = JSON.parse(readFileSync(join(WORKFLOW_DIR, file), 'utf8')) as WorkflowJson;
  }
  return out;
}

/** The JavaScript of the Code node `nodeName` in `workflow`. */
export function codeOf(workflow: WorkflowJson, nodeName: string): string {
  const node = workflow.nodes.find((n) => n.name === nodeName);
  if (!node || node.type !== 'n8n-nodes-base.code') throw new Error(`${workflow.name} has no Code node "${nodeName}"`);
  return node.parameters.jsCode as string;
}
