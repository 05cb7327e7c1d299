import type { Command } from 'commander';
import { registerBilling } from './billing';
import { registerDemo } from './demo';
import { registerEdge } from './edge';
import { registerEkmCloud } from './ekm-cloud';
import { registerLake } from './lake';
import { registerTriggers } from './triggers';
import { registerUnlock } from './unlock';

/** Each command module exports one `registerX(program)`; add yours to this list (one line). */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerDemo,
  registerEkmCloud,
  registerLake,
  registerTriggers,
  registerEdge,
  registerBilling,
  registerUnlock,
];
