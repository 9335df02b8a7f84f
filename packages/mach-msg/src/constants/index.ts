export * from './types.js';
export * from './bits.js';
export * from './options.js';
export * from './ports.js';
export * from './returns.js';
export * from './notify.js';
