export type * from './message.js';
export * from './constants/index.js';
export * from './errors.js';
export * from './abi.js';
export * from './decode.js';
export * from './encode.js';
export * from './notifications.js';
export * from './catalog/index.js';
export * from './mig/index.js';
export * from './interfaces/index.js';
// The small-array slab the codecs use, for the toolkit's other packages'
// message buffers (netmsg-wire frames, hurd-ffi kernel copies): one slab.
export { allocBytes } from './bytes.js';
