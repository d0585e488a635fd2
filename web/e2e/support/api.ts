// The REST API, asked directly, to learn what the pages should show (the
// demo list's counts, a company's name, a job's end) instead of hard-coding it.
import { request, type APIRequestContext } from '@playwright/test';

import { env } from './env';

export type Target = {
  domain: string;
  company_name: string;
  icp_tier: number;
  icp_tier_name: string;
  revenue: number | null;
};

export type Job = {
  job_id: string;
  domain: string;
  status: string;
  providers?: Record<string, { status: string; error: string | null }>;
};

export class Api {
  private constructor(private readonly ctx: APIRequestContext) {}

  static async open(): Promise<Api> {
    return new Api(await request.newContext({ baseURL: env.baseURL, extraHTTPHeaders: { 'X-API-Key': env.apiKey } }));
  }

  async close(): Promise<void> {
    await this.ctx.dispose();
  }

  async get<T>(path: string): Promise<T> {
    const res = await this.ctx.get(path);
    if (!res.ok()) throw new Error(`GET ${path}: ${res.status()} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async stats(): Promise<{ total: number; by_tier: Record<string, number> }> {
    return this.get('/api/stats');
  }

  async targets(query: string): Promise<Target[]> {
    return (await this.get<{ data: Target[] }>(`/api/targets?${query}`)).data;
  }

  async company(domain: string): Promise<{ company_name: string; domain: string; icp_score: number | null; last_enriched: string | null }> {
    return this.get(`/api/companies/${encodeURIComponent(domain)}`);
  }

  // jobs lists recent jobs, newest first, with the API's filters (domain=, status=).
  async jobs(query = ''): Promise<Job[]> {
    return (await this.get<{ data: Job[] }>(`/api/enrich/jobs?${query}`)).data;
  }

  // enrich opens a job for domain and waits until it ends (a state, not a
  // duration: the loop is bounded only so a stuck job fails the run).
  async enrich(domain: string): Promise<Job> {
    const res = await this.ctx.post(`/api/enrich/${encodeURIComponent(domain)}`);
    if (res.status() !== 202) throw new Error(`POST /api/enrich/${domain}: ${res.status()} ${await res.text()}`);
    const { job_id } = (await res.json()) as { job_id: string };
    for (let i = 0; i < 600; i++) {
      const job = await this.get<Job>(`/api/enrich/status/${job_id}`);
      if (job.status !== 'pending' && job.status !== 'running') return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${job_id} for ${domain} did not end`);
  }
}
