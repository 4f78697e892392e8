/** What a callback handler decided: the HTTP status and the JSON body to answer with. */
export interface CallbackResult {
  status: number;
  body: Record<string, unknown>;
}

export const ok = (body: Record<string, unknown>): CallbackResult => ({ status: 200, body });
