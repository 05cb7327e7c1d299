export * from './commands';
export * from './crc';
export * from './decode';
export * from './encode';
export * from './errors';
export * from './layouts';
export type * from './reading';
