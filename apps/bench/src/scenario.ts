import type { Summary } from './load.ts';

export interface ScenarioContext {
  /** Seconds of measured load per run. */
  seconds: number;
  args: Record<string, string | undefined>;
  log: (msg: string) => void;
}

export interface Run {
  name: string;
  users?: number;
  rate?: number;
  workers?: number;
  summary: Summary;
  usage?: Record<string, { cpuPercent: number; rssMiB: number }>;
  extra?: Record<string, unknown>;
}

export interface ScenarioResult {
  scenario: string;
  description: string;
  runs: Run[];
  notes?: string[];
  extra?: Record<string, unknown>;
}
