import type { MachKernel, TaskId } from 'hurd-ffi';
import { HurdErrno } from '../errno.js';
import type { IoMapAnswer } from '../fs/core.js';
import { MapService, type MapServiceOptions } from './map-service.js';

/**
 * The io_map hook for an export whose task does not exist yet: the export
 * options need the hook when the export task is created, and the service
 * needs that task. `hook` answers EOPNOTSUPP until `start` has bound it.
 */
export function lateMapService(): {
  hook: (rel: readonly string[], openModes: number) => IoMapAnswer;
  start(kernel: MachKernel, exportTask: TaskId, o: Omit<MapServiceOptions, 'kernel'>): Promise<MapService>;
  readonly service: MapService | undefined;
} {
  let service: MapService | undefined;
  return {
    hook: (rel, openModes) => (service ? service.ioMap(rel, openModes) : HurdErrno.EOPNOTSUPP),
    async start(kernel, exportTask, o) {
      const s = new MapService({ ...o, kernel });
      await s.attach(exportTask);
      service = s;
      return s;
    },
    get service() {
      return service;
    },
  };
}
