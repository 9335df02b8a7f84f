const settled = Promise.resolve();

/**
 * `fn` in a microtask of its own, FIFO with every other microtask, as
 * queueMicrotask does, but without the AsyncResource and bound function
 * Node's queueMicrotask makes for each call (about 0.2 us; the driver
 * queues six per null RPC). `fn` must not throw: pump() and the receive
 * loop catch their own errors (a throw would be an unhandled rejection).
 */
export function microtask(fn: () => void): void {
  void settled.then(fn);
}
