import type { VariantName } from '../protocol.js';
import { startCeiling } from './ceiling.js';
import type { VariantOptions, VariantServer } from './common.js';
import { startBullmq } from './bullmq.js';
import { startNaive } from './naive.js';
import { startPlugin } from './plugin.js';

export type { VariantServer } from './common.js';

const STARTERS: Readonly<Record<VariantName, (options: VariantOptions) => Promise<VariantServer>>> = {
  ceiling: startCeiling,
  naive: startNaive,
  bullmq: startBullmq,
  plugin: startPlugin,
};

export function startVariant(name: VariantName, options: VariantOptions): Promise<VariantServer> {
  return STARTERS[name](options);
}
