import type { Command } from 'commander';
import { registerDemo } from './demo';

/** Each command module exports one `registerX(program)`; add yours to this list (one line). */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerDemo];
