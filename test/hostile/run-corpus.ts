import type { HostileCase } from './corpus.js';
import { hygieneProblems } from './hygiene.js';
import { sendRaw, type RawResponse } from './raw-http.js';

export interface CaseOutcome {
  hostile: HostileCase;
  response: RawResponse;
  /** Empty when the response is what the case expects and shows nothing it must not. */
  problems: string[];
}

function judge(hostile: HostileCase, response: RawResponse): string[] {
  const problems = hygieneProblems(response);
  const { expect } = hostile;
  if (response.status !== expect.status) problems.push(`status ${response.status}, expected ${expect.status}`);
  if (expect.error !== undefined || expect.id !== undefined) {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(response.body) as Record<string, unknown>;
    } catch {
      problems.push(`body is not JSON: ${JSON.stringify(response.body.slice(0, 80))}`);
    }
    if (expect.error !== undefined && body.error !== expect.error) problems.push(`error ${String(body.error)}, expected ${expect.error}`);
    if (expect.id !== undefined && (body.id !== expect.id || body.status !== 'accepted')) {
      problems.push(`answered ${JSON.stringify(body).slice(0, 120)}, expected accepted id ${expect.id.slice(0, 40)}`);
    }
  }
  return problems;
}

/** Sends every case on its own connection, `concurrency` at a time, and judges each answer. */
export async function runCorpus(port: number, cases: readonly HostileCase[], concurrency = 16): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = new Array(cases.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < cases.length) {
      const index = next;
      next += 1;
      const hostile = cases[index]!;
      let response: RawResponse;
      try {
        response = await sendRaw(port, hostile.request);
      } catch (error) {
        response = { status: 0, headers: {}, body: '', elapsedMs: 0 };
        outcomes[index] = { hostile, response, problems: [`no response: ${(error as Error).message}`] };
        continue;
      }
      outcomes[index] = { hostile, response, problems: judge(hostile, response) };
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

export function statusCounts(outcomes: readonly CaseOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { response } of outcomes) counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}
