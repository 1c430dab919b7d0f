import type Client from "fhirclient/lib/Client";
import type { Bundle, OperationOutcome, Resource } from "./fhirTypes";

/** A request the server refused or could not answer, with its OperationOutcome in words. */
export class FhirError extends Error {
  constructor(readonly status: number, message: string, readonly outcome?: OperationOutcome) { super(message); }

  /** 401, or a token the app knows has expired: the user must sign in (or be launched) again. */
  get expired(): boolean { return this.status === 401; }

  /** The scope a 403 names, when it names one: the user/ one when it offers several ("needs system/Condition.u (or user/Condition.u)"). */
  get missingScope(): string | undefined {
    if (this.status !== 403) return undefined;
    const named = [...this.message.matchAll(/\b((?:system|user|patient)\/[\w*]+\.[cruds]+)\b/g)].map(m => m[1]);
    return named.find(s => s.startsWith("user/")) ?? named[0];
  }
}

/** An OperationOutcome's issues as one text a person reads. */
export function outcomeText(outcome: OperationOutcome | undefined): string {
  const issues = (outcome?.issue ?? []).map(i => i.diagnostics ?? i.details?.text ?? i.code ?? "").filter(t => t.length > 0);
  return issues.join(" ");
}

/**
 * FHIR calls with the session's token. fhirclient holds the launch and the token; the request is sent here with its
 * Authorization header so that a refusal's OperationOutcome reaches the screen whole (fhirclient folds it into a message).
 * A token the client knows has expired is not sent: the user is asked to sign in again at once.
 */
export class Fhir {
  constructor(private readonly client: Client) {}

  get base(): string { return this.client.state.serverUrl.replace(/\/$/, ""); }

  /** The token's expiry (seconds since the epoch), if the server said. */
  get expiresAt(): number | undefined { return this.client.state.expiresAt; }

  get encounterContext(): string | undefined { return this.client.getState("tokenResponse.encounter") ?? undefined; }
  get patientContext(): string | undefined { return this.client.getState("tokenResponse.patient") ?? undefined; }
  get user(): string | undefined { return this.client.getFhirUser() ?? undefined; }

  async request<T = Resource>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    const expiresAt = this.expiresAt;
    if (expiresAt !== undefined && Date.now() / 1000 >= expiresAt)
      throw new FhirError(401, "Your session has expired.");
    const authorization = this.client.getAuthorizationHeader();
    const headers: Record<string, string> = { Accept: "application/fhir+json" };
    if (authorization) headers.Authorization = authorization;
    if (init.body !== undefined) headers["Content-Type"] = "application/fhir+json";
    let response: Response;
    try {
      response = await fetch(path.startsWith("http") ? path : `${this.base}/${path.replace(/^\//, "")}`, {
        method: init.method ?? "GET", headers, signal: init.signal,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new FhirError(0, "The server could not be reached. Check the connection and try again.");
    }
    const text = await response.text();
    let body: unknown;
    try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
    if (!response.ok) {
      const outcome = (body as Resource | undefined)?.resourceType === "OperationOutcome" ? body as OperationOutcome : undefined;
      const words = outcomeText(outcome) || (body as { error_description?: string } | undefined)?.error_description || response.statusText || "request failed";
      throw new FhirError(response.status, `${response.status}: ${words}`, outcome);
    }
    return body as T;
  }

  /** Every resource of a search (following 'next' links, at most `pages` pages). */
  async searchAll(path: string, pages = 10): Promise<Resource[]> {
    const found: Resource[] = [];
    let next: string | undefined = path;
    for (let i = 0; next && i < pages; i++) {
      const bundle: Bundle = await this.request<Bundle>(next);
      for (const e of bundle.entry ?? []) if (e.resource && e.search?.mode !== "include") found.push(e.resource);
      next = bundle.link?.find(l => l.relation === "next")?.url;
    }
    return found;
  }
}
