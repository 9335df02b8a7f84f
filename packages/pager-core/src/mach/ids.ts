/**
 * Message ids of the external memory-management interface (mach-abi.md §9):
 * kernel -> pager in subsystem `memory_object` (2200), pager -> kernel in
 * `mach` (2000), and the DEAD-NAME notification (`notify`, 64).
 */
export const MSGID = {
  memory_object_init: 2200,
  memory_object_terminate: 2201,
  memory_object_copy: 2202,
  memory_object_data_request: 2203,
  memory_object_data_unlock: 2204,
  memory_object_lock_completed: 2206,
  memory_object_supply_completed: 2207,
  memory_object_data_return: 2208,
  memory_object_change_completed: 2209,
  memory_object_data_unavailable: 2039,
  memory_object_lock_request: 2044,
  memory_object_data_error: 2090,
  memory_object_destroy: 2092,
  memory_object_data_supply: 2093,
  memory_object_ready: 2094,
  memory_object_change_attributes: 2095,
  dead_name: 72,
} as const;
