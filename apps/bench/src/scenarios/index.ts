import type { ScenarioContext, ScenarioResult } from '../scenario.ts';
import { offline } from './offline.ts';

export const scenarios: Record<string, { about: string; run: (ctx: ScenarioContext) => Promise<ScenarioResult> }> = {
  offline: { about: 'offline defaults, 50 closed-loop users, unique questions', run: offline },
};
