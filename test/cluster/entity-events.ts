import { ApiAnswer, ClusterStack } from './cluster-stack';

export interface EntityEventsOptions {
  /** Leads to create; each raises `eventsPerEntity` events. */
  entities: number;
  /** The POST (lead_scraped), then status changes alternating qualified / responded (lead_qualified, lead_responded). */
  eventsPerEntity: number;
  /** Requests in flight at once, over every api process. */
  concurrency: number;
  /** Makes the leads' urls unique to this burst. */
  tag: string;
}

class RequestsGaveUpError extends Error {
  constructor(what: string, answer: ApiAnswer) {
    super(`${what}: still ${answer.status} after retrying for 60 s (${JSON.stringify(answer.body)})`);
    this.name = 'RequestsGaveUpError';
  }
}

const RETRY_FOR_MS = 60000;
const RETRY_AFTER_MS = 100;

/**
 * Events about many leads, raised through the api processes' real HTTP API: per lead, a POST
 * (lead_scraped) then PATCHes of its status alternating `qualified` / `responded` (lead_qualified,
 * lead_responded), one after another (each waits for the previous answer, so the lead's events
 * commit in request order), every lead in parallel with the others under one concurrency limit.
 * Consecutive requests about one lead go to different api processes. A request that gets no
 * answer or a 5xx is sent again, as a client honouring 503 would; neither repeat raises a second
 * event (a repeated PATCH changes nothing, a repeated POST is a 409 naming the lead).
 */
export class EntityEvents {
  readonly leads: string[] = [];
  /** Requests done: answered 2xx, or a repeated POST answered 409 (the first one committed). */
  done = 0;
  /** Every answer, by status (0: none came). */
  readonly statuses = new Map<number, number>();
  /** The first answers other than 2xx (and a repeated POST's 409), with what was asked. */
  readonly refusals: (ApiAnswer & { request: string })[] = [];
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly stack: ClusterStack,
    private readonly options: EntityEventsOptions,
  ) {}

  get expected(): number {
    return this.options.entities * this.options.eventsPerEntity;
  }

  /** Answers other than 2xx. */
  get refused(): number {
    return [...this.statuses].filter(([status]) => status < 200 || status >= 300).reduce((sum, [, n]) => sum + n, 0);
  }

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.entities }, (_, e) => this.entity(e)));
  }

  private async entity(e: number): Promise<void> {
    const { tag, eventsPerEntity } = this.options;
    const created = await this.send(e, 'POST', '/api/v1/leads', { title: `${tag} lead ${e}`, url: `https://ads.example/${tag}/${e}` });
    const id = String(created.body?.id ?? created.body?.details?.existing_id);
    this.leads.push(id);
    for (let k = 1; k < eventsPerEntity; k++)
      await this.send(e + k, 'PATCH', `/api/v1/leads/${id}`, { status: k % 2 ? 'qualified' : 'responded' });
  }

  /** One request, sent again on no answer or 5xx; a 409 after a repeated POST means the first one committed. */
  private async send(api: number, method: string, path: string, body: unknown): Promise<ApiAnswer> {
    const deadline = Date.now() + RETRY_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.limited(() => this.stack.request(api + attempt - 1, method, path, body));
      this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
      if ((answer.status >= 200 && answer.status < 300) || (answer.status === 409 && attempt > 1 && method === 'POST')) {
        this.done++;
        return answer;
      }
      if (this.refusals.length < 10) this.refusals.push({ ...answer, request: `${method} ${path}` });
      if ((answer.status !== 0 && answer.status < 500) || Date.now() > deadline) throw new RequestsGaveUpError(`${method} ${path}`, answer);
      await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
    }
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}
