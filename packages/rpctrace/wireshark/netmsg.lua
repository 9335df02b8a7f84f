-- Wireshark dissector for hurd-rpctrace's --pcap files: netmsg-wire frames
-- crossing a traced link, and Mach messages traced on a kernel.
--
-- Open a trace:   wireshark -X lua_script:wireshark/netmsg.lua trace.pcapng
--            or   tshark -X lua_script:wireshark/netmsg.lua -r trace.pcapng -V
-- or copy this file into your personal Lua plugins folder
-- (Help > About Wireshark > Folders > Personal Lua Plugins).
--
-- Packets use link-layer type USER0 (LINKTYPE 147). Each starts with
-- hurd-rpctrace's 16-byte trace header (src/pcap.ts):
--   u8 version (1), u8 what (1 netmsg-wire frame, 2 Mach message),
--   u8 direction, u8 abi (0 none, 1 i386, 2 x86_64),
--   u32 from (node or task), u32 to (node or port id), u32 link or msgh_id.
-- Frames are laid out as netmsg-wire's PROTOCOL.md says (u32 length, u8 kind,
-- payload; MESSAGE bodies per its section 3.1); Mach messages as GNU Mach's
-- mach_msg_header_t and typed items for the ABI in the header.

local netmsg = Proto("netmsg", "netmsg-wire / Mach IPC (hurd-rpctrace)")

local WHAT = { [1] = "netmsg-wire frame", [2] = "Mach message" }
local ABI = { [0] = "none", [1] = "i386", [2] = "x86_64" }
local KIND = { [1] = "HELLO", [2] = "AUTH", [3] = "CLOSE", [4] = "CONTROL", [5] = "MESSAGE", [6] = "OOL_CHUNK" }
local ITEM = { [0] = "data", [1] = "inline ports", [2] = "out-of-line port array", [3] = "out-of-line data" }
local REF = { [0] = "MACH_PORT_NULL", [1] = "MACH_PORT_DEAD", [2] = "send", [3] = "send-once", [4] = "receive" }
local TYPE = {
  [0] = "BIT/BOOLEAN", [1] = "INTEGER_16", [2] = "INTEGER_32", [8] = "CHAR", [9] = "BYTE", [10] = "REAL",
  [11] = "INTEGER_64", [12] = "STRING", [15] = "PORT_NAME", [16] = "MOVE_RECEIVE/PORT_RECEIVE",
  [17] = "MOVE_SEND/PORT_SEND", [18] = "MOVE_SEND_ONCE/PORT_SEND_ONCE", [19] = "COPY_SEND",
  [20] = "MAKE_SEND", [21] = "MAKE_SEND_ONCE", [23] = "PROTECTED_PAYLOAD",
}

local f = netmsg.fields
f.version = ProtoField.uint8("netmsg.trace.version", "Trace header version")
f.what = ProtoField.uint8("netmsg.trace.what", "Carries", base.DEC, WHAT)
f.direction = ProtoField.uint8("netmsg.trace.direction", "Direction")
f.abi = ProtoField.uint8("netmsg.trace.abi", "ABI", base.DEC, ABI)
f.from = ProtoField.uint32("netmsg.trace.from", "From (node or task)")
f.to = ProtoField.uint32("netmsg.trace.to", "To (node or port id)")
f.extra = ProtoField.uint32("netmsg.trace.extra", "Link number or msgh_id")
f.length = ProtoField.uint32("netmsg.frame.length", "Frame length")
f.kind = ProtoField.uint8("netmsg.frame.kind", "Frame kind", base.DEC, KIND)
f.payload = ProtoField.bytes("netmsg.frame.payload", "Payload")
f.msgid = ProtoField.int32("netmsg.msgh_id", "msgh_id")
f.routine = ProtoField.string("netmsg.routine", "Routine")
f.otherbits = ProtoField.uint32("netmsg.other_bits", "Other msgh_bits", base.HEX)
f.dest = ProtoField.string("netmsg.dest", "Destination")
f.reply = ProtoField.string("netmsg.reply", "Reply port")
f.nitems = ProtoField.uint16("netmsg.items", "Items")
f.item = ProtoField.string("netmsg.item", "Item")
f.ikind = ProtoField.uint8("netmsg.item.kind", "Item kind", base.DEC, ITEM)
f.iflags = ProtoField.uint8("netmsg.item.flags", "Flags (1 longform, 2 deallocate)", base.HEX)
f.tname = ProtoField.uint8("netmsg.item.type", "msgt_name", base.DEC, TYPE)
f.tsize = ProtoField.uint16("netmsg.item.size", "Bits per element")
f.tcount = ProtoField.uint32("netmsg.item.count", "Elements")
f.tbytes = ProtoField.uint32("netmsg.item.bytes", "Byte length")
f.data = ProtoField.bytes("netmsg.item.data", "Data")
f.port = ProtoField.string("netmsg.port", "Port")
f.bits = ProtoField.uint32("netmsg.mach.bits", "msgh_bits", base.HEX)
f.msize = ProtoField.uint32("netmsg.mach.size", "msgh_size")
f.remote = ProtoField.uint32("netmsg.mach.remote", "msgh_remote_port")
f.localp = ProtoField.uint32("netmsg.mach.local", "msgh_local_port")
f.seqno = ProtoField.uint32("netmsg.mach.seqno", "msgh_seqno")
f.inline = ProtoField.bool("netmsg.item.inline", "Inline")

-- BEGIN GENERATED MSGIDS (scripts/lua-msgids.mjs)
local MSGIDS = {
  [65] = "mach_notify_port_deleted",
  [66] = "mach_notify_msg_accepted",
  [69] = "mach_notify_port_destroyed",
  [70] = "mach_notify_no_senders",
  [71] = "mach_notify_send_once",
  [72] = "mach_notify_dead_name",
  [2007] = "task_create",
  [2008] = "task_terminate",
  [2009] = "task_get_emulation_vector",
  [2010] = "task_set_emulation_vector",
  [2011] = "task_threads",
  [2012] = "task_info",
  [2016] = "thread_terminate",
  [2017] = "thread_get_state",
  [2018] = "thread_set_state",
  [2019] = "thread_info",
  [2021] = "vm_allocate",
  [2023] = "vm_deallocate",
  [2024] = "vm_protect",
  [2025] = "vm_inherit",
  [2026] = "vm_read",
  [2027] = "vm_write",
  [2028] = "vm_copy",
  [2029] = "vm_region",
  [2030] = "vm_statistics",
  [2033] = "mach_ports_register",
  [2034] = "mach_ports_lookup",
  [2039] = "memory_object_data_unavailable",
  [2040] = "memory_object_get_attributes",
  [2041] = "vm_set_default_memory_manager",
  [2044] = "memory_object_lock_request",
  [2056] = "task_suspend",
  [2057] = "task_resume",
  [2058] = "task_get_special_port",
  [2059] = "task_set_special_port",
  [2061] = "thread_create",
  [2062] = "thread_suspend",
  [2063] = "thread_resume",
  [2064] = "thread_abort",
  [2067] = "thread_get_special_port",
  [2068] = "thread_set_special_port",
  [2070] = "task_set_emulation",
  [2071] = "task_ras_control",
  [2089] = "vm_map",
  [2090] = "memory_object_data_error",
  [2092] = "memory_object_destroy",
  [2093] = "memory_object_data_supply",
  [2094] = "memory_object_ready",
  [2095] = "memory_object_change_attributes",
  [2099] = "vm_machine_attribute",
  [2107] = "task_create reply",
  [2108] = "task_terminate reply",
  [2109] = "task_get_emulation_vector reply",
  [2110] = "task_set_emulation_vector reply",
  [2111] = "task_threads reply",
  [2112] = "task_info reply",
  [2116] = "thread_terminate reply",
  [2117] = "thread_get_state reply",
  [2118] = "thread_set_state reply",
  [2119] = "thread_info reply",
  [2121] = "vm_allocate reply",
  [2123] = "vm_deallocate reply",
  [2124] = "vm_protect reply",
  [2125] = "vm_inherit reply",
  [2126] = "vm_read reply",
  [2127] = "vm_write reply",
  [2128] = "vm_copy reply",
  [2129] = "vm_region reply",
  [2130] = "vm_statistics reply",
  [2133] = "mach_ports_register reply",
  [2134] = "mach_ports_lookup reply",
  [2140] = "memory_object_get_attributes reply",
  [2141] = "vm_set_default_memory_manager reply",
  [2156] = "task_suspend reply",
  [2157] = "task_resume reply",
  [2158] = "task_get_special_port reply",
  [2159] = "task_set_special_port reply",
  [2161] = "thread_create reply",
  [2162] = "thread_suspend reply",
  [2163] = "thread_resume reply",
  [2164] = "thread_abort reply",
  [2167] = "thread_get_special_port reply",
  [2168] = "thread_set_special_port reply",
  [2170] = "task_set_emulation reply",
  [2171] = "task_ras_control reply",
  [2189] = "vm_map reply",
  [2199] = "vm_machine_attribute reply",
  [2200] = "memory_object_init",
  [2201] = "memory_object_terminate",
  [2202] = "memory_object_copy",
  [2203] = "memory_object_data_request",
  [2204] = "memory_object_data_unlock",
  [2206] = "memory_object_lock_completed",
  [2207] = "memory_object_supply_completed",
  [2208] = "memory_object_data_return",
  [2209] = "memory_object_change_completed",
  [2250] = "memory_object_create",
  [2251] = "memory_object_data_initialize",
  [2275] = "default_pager_object_create",
  [2276] = "default_pager_info",
  [2277] = "default_pager_objects",
  [2278] = "default_pager_object_pages",
  [2282] = "default_pager_object_set_size",
  [2283] = "default_pager_storage_info",
  [2284] = "default_pager_paging_storage_new",
  [2375] = "default_pager_object_create reply",
  [2376] = "default_pager_info reply",
  [2377] = "default_pager_objects reply",
  [2378] = "default_pager_object_pages reply",
  [2382] = "default_pager_object_set_size reply",
  [2383] = "default_pager_storage_info reply",
  [2384] = "default_pager_paging_storage_new reply",
  [2400] = "exception_raise",
  [2500] = "exception_raise reply",
  [2600] = "host_processors",
  [2603] = "processor_start",
  [2604] = "processor_exit",
  [2606] = "processor_set_default",
  [2608] = "processor_set_create",
  [2609] = "processor_set_destroy",
  [2611] = "processor_assign",
  [2612] = "processor_get_assignment",
  [2613] = "thread_assign",
  [2614] = "thread_assign_default",
  [2615] = "thread_get_assignment",
  [2616] = "task_assign",
  [2617] = "task_assign_default",
  [2618] = "task_get_assignment",
  [2620] = "thread_priority",
  [2621] = "thread_max_priority",
  [2622] = "task_priority",
  [2623] = "processor_set_max_priority",
  [2624] = "thread_policy",
  [2625] = "processor_set_policy_enable",
  [2626] = "processor_set_policy_disable",
  [2627] = "processor_set_tasks",
  [2628] = "processor_set_threads",
  [2629] = "host_processor_sets",
  [2630] = "host_processor_set_priv",
  [2631] = "thread_depress_abort",
  [2632] = "host_set_time",
  [2633] = "host_adjust_time",
  [2634] = "host_get_time",
  [2635] = "host_reboot",
  [2636] = "vm_wire",
  [2637] = "thread_wire",
  [2638] = "host_info",
  [2639] = "processor_info",
  [2640] = "processor_set_info",
  [2641] = "processor_control",
  [2643] = "host_get_time64",
  [2644] = "host_set_time64",
  [2645] = "host_adjust_time64",
  [2646] = "host_get_kernel_version",
  [2647] = "host_get_uptime64",
  [2700] = "host_processors reply",
  [2703] = "processor_start reply",
  [2704] = "processor_exit reply",
  [2706] = "processor_set_default reply",
  [2708] = "processor_set_create reply",
  [2709] = "processor_set_destroy reply",
  [2711] = "processor_assign reply",
  [2712] = "processor_get_assignment reply",
  [2713] = "thread_assign reply",
  [2714] = "thread_assign_default reply",
  [2715] = "thread_get_assignment reply",
  [2716] = "task_assign reply",
  [2717] = "task_assign_default reply",
  [2718] = "task_get_assignment reply",
  [2720] = "thread_priority reply",
  [2721] = "thread_max_priority reply",
  [2722] = "task_priority reply",
  [2723] = "processor_set_max_priority reply",
  [2724] = "thread_policy reply",
  [2725] = "processor_set_policy_enable reply",
  [2726] = "processor_set_policy_disable reply",
  [2727] = "processor_set_tasks reply",
  [2728] = "processor_set_threads reply",
  [2729] = "host_processor_sets reply",
  [2730] = "host_processor_set_priv reply",
  [2731] = "thread_depress_abort reply",
  [2732] = "host_set_time reply",
  [2733] = "host_adjust_time reply",
  [2734] = "host_get_time reply",
  [2735] = "host_reboot reply",
  [2736] = "vm_wire reply",
  [2737] = "thread_wire reply",
  [2738] = "host_info reply",
  [2739] = "processor_info reply",
  [2740] = "processor_set_info reply",
  [2741] = "processor_control reply",
  [2743] = "host_get_time64 reply",
  [2744] = "host_set_time64 reply",
  [2745] = "host_adjust_time64 reply",
  [2746] = "host_get_kernel_version reply",
  [2747] = "host_get_uptime64 reply",
  [2800] = "device_open",
  [2801] = "device_close",
  [2802] = "device_write",
  [2803] = "device_write_inband",
  [2804] = "device_read",
  [2805] = "device_read_inband",
  [2806] = "device_open_new",
  [2809] = "device_map",
  [2810] = "device_set_status",
  [2811] = "device_get_status",
  [2812] = "device_set_filter",
  [2813] = "device_intr_register",
  [2814] = "device_intr_ack",
  [2900] = "device_open reply",
  [2901] = "device_close reply",
  [2902] = "device_write reply",
  [2903] = "device_write_inband reply",
  [2904] = "device_read reply",
  [2905] = "device_read_inband reply",
  [2906] = "device_open_new reply",
  [2909] = "device_map reply",
  [2910] = "device_set_status reply",
  [2911] = "device_get_status reply",
  [2912] = "device_set_filter reply",
  [2913] = "device_intr_register reply",
  [2914] = "device_intr_ack reply",
  [3007] = "mach_port_get_srights",
  [3009] = "host_ipc_marequest_info",
  [3011] = "mach_port_dnrequest_info",
  [3014] = "host_stack_usage",
  [3015] = "processor_set_stack_usage",
  [3016] = "host_virtual_physical_table_info",
  [3018] = "mach_port_kernel_object",
  [3019] = "mach_vm_region_info",
  [3020] = "mach_vm_object_info",
  [3021] = "mach_vm_object_pages",
  [3022] = "host_slab_info",
  [3024] = "mach_vm_object_pages_phys",
  [3107] = "mach_port_get_srights reply",
  [3109] = "host_ipc_marequest_info reply",
  [3111] = "mach_port_dnrequest_info reply",
  [3114] = "host_stack_usage reply",
  [3115] = "processor_set_stack_usage reply",
  [3116] = "host_virtual_physical_table_info reply",
  [3118] = "mach_port_kernel_object reply",
  [3119] = "mach_vm_region_info reply",
  [3120] = "mach_vm_object_info reply",
  [3121] = "mach_vm_object_pages reply",
  [3122] = "host_slab_info reply",
  [3124] = "mach_vm_object_pages_phys reply",
  [3200] = "mach_port_names",
  [3201] = "mach_port_type",
  [3202] = "mach_port_rename",
  [3203] = "mach_port_allocate_name",
  [3204] = "mach_port_allocate",
  [3205] = "mach_port_destroy",
  [3206] = "mach_port_deallocate",
  [3207] = "mach_port_get_refs",
  [3208] = "mach_port_mod_refs",
  [3210] = "mach_port_set_qlimit",
  [3211] = "mach_port_set_mscount",
  [3212] = "mach_port_get_set_status",
  [3213] = "mach_port_move_member",
  [3214] = "mach_port_request_notification",
  [3215] = "mach_port_insert_right",
  [3216] = "mach_port_extract_right",
  [3217] = "mach_port_get_receive_status",
  [3218] = "mach_port_set_seqno",
  [3221] = "mach_port_set_protected_payload",
  [3222] = "mach_port_clear_protected_payload",
  [3300] = "mach_port_names reply",
  [3301] = "mach_port_type reply",
  [3302] = "mach_port_rename reply",
  [3303] = "mach_port_allocate_name reply",
  [3304] = "mach_port_allocate reply",
  [3305] = "mach_port_destroy reply",
  [3306] = "mach_port_deallocate reply",
  [3307] = "mach_port_get_refs reply",
  [3308] = "mach_port_mod_refs reply",
  [3310] = "mach_port_set_qlimit reply",
  [3311] = "mach_port_set_mscount reply",
  [3312] = "mach_port_get_set_status reply",
  [3313] = "mach_port_move_member reply",
  [3314] = "mach_port_request_notification reply",
  [3315] = "mach_port_insert_right reply",
  [3316] = "mach_port_extract_right reply",
  [3317] = "mach_port_get_receive_status reply",
  [3318] = "mach_port_set_seqno reply",
  [3321] = "mach_port_set_protected_payload reply",
  [3322] = "mach_port_clear_protected_payload reply",
  [3803] = "i386_set_ldt",
  [3804] = "i386_get_ldt",
  [3805] = "i386_io_perm_create",
  [3806] = "i386_io_perm_modify",
  [3807] = "i386_set_gdt",
  [3808] = "i386_get_gdt",
  [3809] = "i386_get_xstate_size",
  [3903] = "i386_set_ldt reply",
  [3904] = "i386_get_ldt reply",
  [3905] = "i386_io_perm_create reply",
  [3906] = "i386_io_perm_modify reply",
  [3907] = "i386_set_gdt reply",
  [3908] = "i386_get_gdt reply",
  [3909] = "i386_get_xstate_size reply",
  [4000] = "task_enable_pc_sampling",
  [4001] = "task_disable_pc_sampling",
  [4002] = "task_get_sampled_pcs",
  [4003] = "thread_enable_pc_sampling",
  [4004] = "thread_disable_pc_sampling",
  [4005] = "thread_get_sampled_pcs",
  [4010] = "memory_object_create_proxy",
  [4011] = "vm_region_create_proxy",
  [4100] = "task_enable_pc_sampling reply",
  [4101] = "task_disable_pc_sampling reply",
  [4102] = "task_get_sampled_pcs reply",
  [4103] = "thread_enable_pc_sampling reply",
  [4104] = "thread_disable_pc_sampling reply",
  [4105] = "thread_get_sampled_pcs reply",
  [4110] = "memory_object_create_proxy reply",
  [4111] = "vm_region_create_proxy reply",
  [4200] = "vm_cache_statistics",
  [4201] = "thread_terminate_release",
  [4202] = "task_set_name",
  [4203] = "register_new_task_notification",
  [4204] = "gsync_wait",
  [4205] = "gsync_wake",
  [4206] = "gsync_requeue",
  [4207] = "vm_wire_all",
  [4208] = "vm_object_sync",
  [4209] = "vm_msync",
  [4210] = "vm_allocate_contiguous",
  [4211] = "task_set_essential",
  [4212] = "vm_pages_phys",
  [4213] = "thread_set_name",
  [4214] = "thread_get_name",
  [4300] = "vm_cache_statistics reply",
  [4303] = "register_new_task_notification reply",
  [4304] = "gsync_wait reply",
  [4307] = "vm_wire_all reply",
  [4308] = "vm_object_sync reply",
  [4309] = "vm_msync reply",
  [4310] = "vm_allocate_contiguous reply",
  [4312] = "vm_pages_phys reply",
  [4314] = "thread_get_name reply",
  [4400] = "mach_notify_new_task",
  [20000] = "file_exec",
  [20001] = "file_chown",
  [20002] = "file_chauthor",
  [20003] = "file_chmod",
  [20004] = "file_chflags",
  [20005] = "file_utimes",
  [20006] = "file_set_size",
  [20007] = "file_lock",
  [20008] = "file_lock_stat",
  [20009] = "file_check_access",
  [20010] = "file_notice_changes",
  [20011] = "file_getcontrol",
  [20012] = "file_statfs",
  [20013] = "file_sync",
  [20014] = "file_syncfs",
  [20015] = "file_get_storage_info",
  [20016] = "file_getlinknode",
  [20017] = "file_getfh",
  [20018] = "dir_lookup",
  [20019] = "dir_readdir",
  [20020] = "dir_mkdir",
  [20021] = "dir_rmdir",
  [20022] = "dir_unlink",
  [20023] = "dir_link",
  [20024] = "dir_rename",
  [20025] = "dir_mkfile",
  [20026] = "dir_notice_changes",
  [20027] = "file_set_translator",
  [20028] = "file_get_translator",
  [20029] = "file_get_translator_cntl",
  [20030] = "file_get_fs_options",
  [20031] = "file_reparent",
  [20034] = "file_exec_paths",
  [20035] = "file_utimens",
  [20036] = "file_record_lock",
  [20100] = "file_exec reply",
  [20101] = "file_chown reply",
  [20102] = "file_chauthor reply",
  [20103] = "file_chmod reply",
  [20104] = "file_chflags reply",
  [20105] = "file_utimes reply",
  [20106] = "file_set_size reply",
  [20107] = "file_lock reply",
  [20108] = "file_lock_stat reply",
  [20109] = "file_check_access reply",
  [20110] = "file_notice_changes reply",
  [20111] = "file_getcontrol reply",
  [20112] = "file_statfs reply",
  [20113] = "file_sync reply",
  [20114] = "file_syncfs reply",
  [20115] = "file_get_storage_info reply",
  [20116] = "file_getlinknode reply",
  [20117] = "file_getfh reply",
  [20118] = "dir_lookup reply",
  [20119] = "dir_readdir reply",
  [20120] = "dir_mkdir reply",
  [20121] = "dir_rmdir reply",
  [20122] = "dir_unlink reply",
  [20123] = "dir_link reply",
  [20124] = "dir_rename reply",
  [20125] = "dir_mkfile reply",
  [20126] = "dir_notice_changes reply",
  [20127] = "file_set_translator reply",
  [20128] = "file_get_translator reply",
  [20129] = "file_get_translator_cntl reply",
  [20130] = "file_get_fs_options reply",
  [20131] = "file_reparent reply",
  [20134] = "file_exec_paths reply",
  [20135] = "file_utimens reply",
  [20136] = "file_record_lock reply",
  [20500] = "dir_changed",
  [20501] = "file_changed",
  [21000] = "io_write",
  [21001] = "io_read",
  [21002] = "io_seek",
  [21003] = "io_readable",
  [21004] = "io_set_all_openmodes",
  [21005] = "io_get_openmodes",
  [21006] = "io_set_some_openmodes",
  [21007] = "io_clear_some_openmodes",
  [21008] = "io_async",
  [21009] = "io_mod_owner",
  [21010] = "io_get_owner",
  [21011] = "io_get_icky_async_id",
  [21012] = "io_select",
  [21013] = "io_stat",
  [21014] = "io_reauthenticate",
  [21015] = "io_restrict_auth",
  [21016] = "io_duplicate",
  [21017] = "io_server_version",
  [21018] = "io_map",
  [21019] = "io_map_cntl",
  [21020] = "io_get_conch",
  [21021] = "io_release_conch",
  [21022] = "io_eofnotify",
  [21023] = "io_prenotify",
  [21024] = "io_postnotify",
  [21025] = "io_readnotify",
  [21026] = "io_readsleep",
  [21027] = "io_sigio",
  [21028] = "io_pathconf",
  [21029] = "io_identity",
  [21030] = "io_revoke",
  [21031] = "io_select_timeout",
  [21100] = "io_write reply",
  [21101] = "io_read reply",
  [21102] = "io_seek reply",
  [21103] = "io_readable reply",
  [21104] = "io_set_all_openmodes reply",
  [21105] = "io_get_openmodes reply",
  [21106] = "io_set_some_openmodes reply",
  [21107] = "io_clear_some_openmodes reply",
  [21108] = "io_async reply",
  [21109] = "io_mod_owner reply",
  [21110] = "io_get_owner reply",
  [21111] = "io_get_icky_async_id reply",
  [21112] = "io_select reply",
  [21113] = "io_stat reply",
  [21115] = "io_restrict_auth reply",
  [21116] = "io_duplicate reply",
  [21117] = "io_server_version reply",
  [21118] = "io_map reply",
  [21119] = "io_map_cntl reply",
  [21120] = "io_get_conch reply",
  [21121] = "io_release_conch reply",
  [21122] = "io_eofnotify reply",
  [21123] = "io_prenotify reply",
  [21124] = "io_postnotify reply",
  [21125] = "io_readnotify reply",
  [21126] = "io_readsleep reply",
  [21127] = "io_sigio reply",
  [21128] = "io_pathconf reply",
  [21129] = "io_identity reply",
  [21130] = "io_revoke reply",
  [21131] = "io_select_timeout reply",
  [22000] = "fsys_startup",
  [22001] = "fsys_goaway",
  [22002] = "fsys_getroot",
  [22003] = "fsys_getfile",
  [22004] = "fsys_syncfs",
  [22005] = "fsys_set_options",
  [22006] = "fsys_getpriv",
  [22007] = "fsys_init",
  [22008] = "fsys_forward",
  [22009] = "fsys_get_options",
  [22010] = "fsys_get_children",
  [22011] = "fsys_get_source",
  [22100] = "fsys_startup reply",
  [22101] = "fsys_goaway reply",
  [22102] = "fsys_getroot reply",
  [22103] = "fsys_getfile reply",
  [22104] = "fsys_syncfs reply",
  [22105] = "fsys_set_options reply",
  [22106] = "fsys_getpriv reply",
  [22107] = "fsys_init reply",
  [22108] = "fsys_forward reply",
  [22109] = "fsys_get_options reply",
  [22110] = "fsys_get_children reply",
  [22111] = "fsys_get_source reply",
  [23000] = "msg_sig_post",
  [23001] = "msg_proc_newids",
  [23002] = "msg_add_auth",
  [23003] = "msg_del_auth",
  [23004] = "msg_get_init_port",
  [23005] = "msg_set_init_port",
  [23006] = "msg_get_init_ports",
  [23007] = "msg_set_init_ports",
  [23008] = "msg_get_init_int",
  [23009] = "msg_set_init_int",
  [23010] = "msg_get_init_ints",
  [23011] = "msg_set_init_ints",
  [23012] = "msg_get_dtable",
  [23013] = "msg_set_dtable",
  [23014] = "msg_get_fd",
  [23015] = "msg_set_fd",
  [23016] = "msg_get_environment",
  [23017] = "msg_set_environment",
  [23018] = "msg_get_env_variable",
  [23019] = "msg_set_env_variable",
  [23022] = "msg_sig_post_untraced",
  [23023] = "msg_report_wait",
  [23024] = "msg_describe_ports",
  [23100] = "msg_sig_post reply",
  [23101] = "msg_proc_newids reply",
  [23102] = "msg_add_auth reply",
  [23103] = "msg_del_auth reply",
  [23104] = "msg_get_init_port reply",
  [23105] = "msg_set_init_port reply",
  [23106] = "msg_get_init_ports reply",
  [23107] = "msg_set_init_ports reply",
  [23108] = "msg_get_init_int reply",
  [23109] = "msg_set_init_int reply",
  [23110] = "msg_get_init_ints reply",
  [23111] = "msg_set_init_ints reply",
  [23112] = "msg_get_dtable reply",
  [23113] = "msg_set_dtable reply",
  [23114] = "msg_get_fd reply",
  [23115] = "msg_set_fd reply",
  [23116] = "msg_get_environment reply",
  [23117] = "msg_set_environment reply",
  [23118] = "msg_get_env_variable reply",
  [23119] = "msg_set_env_variable reply",
  [23122] = "msg_sig_post_untraced reply",
  [23123] = "msg_report_wait reply",
  [23124] = "msg_describe_ports reply",
  [24004] = "proc_getprivports",
  [24005] = "proc_getallpids",
  [24006] = "proc_setexecdata",
  [24007] = "proc_getexecdata",
  [24008] = "proc_execdata_notify",
  [24009] = "proc_uname",
  [24010] = "proc_register_version",
  [24011] = "proc_reauthenticate",
  [24012] = "proc_child",
  [24013] = "proc_setmsgport",
  [24014] = "proc_reassign",
  [24015] = "proc_setowner",
  [24016] = "proc_getpids",
  [24017] = "proc_set_arg_locations",
  [24018] = "proc_get_arg_locations",
  [24019] = "proc_getmsgport",
  [24020] = "proc_wait",
  [24021] = "proc_dostop",
  [24022] = "proc_handle_exceptions",
  [24023] = "proc_mark_stop",
  [24024] = "proc_mark_cont",
  [24025] = "proc_mark_exit",
  [24026] = "proc_mark_exec",
  [24027] = "proc_mark_traced",
  [24028] = "proc_mod_stopchild",
  [24029] = "proc_pid2task",
  [24030] = "proc_task2pid",
  [24031] = "proc_task2proc",
  [24032] = "proc_proc2task",
  [24033] = "proc_pid2proc",
  [24034] = "proc_getprocinfo",
  [24035] = "proc_getprocargs",
  [24036] = "proc_getprocenv",
  [24037] = "proc_make_login_coll",
  [24038] = "proc_getloginid",
  [24039] = "proc_getloginpids",
  [24040] = "proc_setlogin",
  [24041] = "proc_getlogin",
  [24042] = "proc_setsid",
  [24043] = "proc_getsid",
  [24044] = "proc_getsessionpgids",
  [24045] = "proc_getsessionpids",
  [24046] = "proc_getsidport",
  [24047] = "proc_setpgrp",
  [24048] = "proc_getpgrp",
  [24049] = "proc_getpgrppids",
  [24050] = "proc_get_tty",
  [24051] = "proc_getnports",
  [24052] = "proc_set_init_task",
  [24053] = "proc_mark_important",
  [24054] = "proc_is_important",
  [24055] = "proc_set_code",
  [24056] = "proc_get_code",
  [24057] = "proc_make_task_namespace",
  [24058] = "proc_set_exe",
  [24059] = "proc_get_exe",
  [24060] = "proc_set_entry",
  [24061] = "proc_get_entry",
  [24062] = "proc_waitid",
  [24063] = "proc_reauthenticate_reassign",
  [24064] = "proc_reauthenticate_complete",
  [24065] = "proc_getchildren_rusage",
  [24104] = "proc_getprivports reply",
  [24105] = "proc_getallpids reply",
  [24106] = "proc_setexecdata reply",
  [24107] = "proc_getexecdata reply",
  [24108] = "proc_execdata_notify reply",
  [24109] = "proc_uname reply",
  [24110] = "proc_register_version reply",
  [24112] = "proc_child reply",
  [24113] = "proc_setmsgport reply",
  [24114] = "proc_reassign reply",
  [24115] = "proc_setowner reply",
  [24116] = "proc_getpids reply",
  [24117] = "proc_set_arg_locations reply",
  [24118] = "proc_get_arg_locations reply",
  [24119] = "proc_getmsgport reply",
  [24120] = "proc_wait reply",
  [24121] = "proc_dostop reply",
  [24122] = "proc_handle_exceptions reply",
  [24123] = "proc_mark_stop reply",
  [24124] = "proc_mark_cont reply",
  [24125] = "proc_mark_exit reply",
  [24126] = "proc_mark_exec reply",
  [24127] = "proc_mark_traced reply",
  [24128] = "proc_mod_stopchild reply",
  [24129] = "proc_pid2task reply",
  [24130] = "proc_task2pid reply",
  [24131] = "proc_task2proc reply",
  [24132] = "proc_proc2task reply",
  [24133] = "proc_pid2proc reply",
  [24134] = "proc_getprocinfo reply",
  [24135] = "proc_getprocargs reply",
  [24136] = "proc_getprocenv reply",
  [24137] = "proc_make_login_coll reply",
  [24138] = "proc_getloginid reply",
  [24139] = "proc_getloginpids reply",
  [24140] = "proc_setlogin reply",
  [24141] = "proc_getlogin reply",
  [24142] = "proc_setsid reply",
  [24143] = "proc_getsid reply",
  [24144] = "proc_getsessionpgids reply",
  [24145] = "proc_getsessionpids reply",
  [24146] = "proc_getsidport reply",
  [24147] = "proc_setpgrp reply",
  [24148] = "proc_getpgrp reply",
  [24149] = "proc_getpgrppids reply",
  [24150] = "proc_get_tty reply",
  [24151] = "proc_getnports reply",
  [24152] = "proc_set_init_task reply",
  [24153] = "proc_mark_important reply",
  [24154] = "proc_is_important reply",
  [24155] = "proc_set_code reply",
  [24156] = "proc_get_code reply",
  [24157] = "proc_make_task_namespace reply",
  [24158] = "proc_set_exe reply",
  [24159] = "proc_get_exe reply",
  [24160] = "proc_set_entry reply",
  [24161] = "proc_get_entry reply",
  [24162] = "proc_waitid reply",
  [24165] = "proc_getchildren_rusage reply",
  [25000] = "auth_getids",
  [25001] = "auth_makeauth",
  [25002] = "auth_user_authenticate",
  [25003] = "auth_server_authenticate",
  [25100] = "auth_getids reply",
  [25101] = "auth_makeauth reply",
  [25102] = "auth_user_authenticate reply",
  [25103] = "auth_server_authenticate reply",
  [26000] = "socket_create",
  [26001] = "socket_listen",
  [26002] = "socket_accept",
  [26003] = "socket_connect",
  [26004] = "socket_bind",
  [26005] = "socket_name",
  [26006] = "socket_peername",
  [26007] = "socket_connect2",
  [26008] = "socket_create_address",
  [26009] = "socket_fabricate_address",
  [26010] = "socket_whatis_address",
  [26011] = "socket_shutdown",
  [26012] = "socket_getopt",
  [26013] = "socket_setopt",
  [26014] = "socket_send",
  [26015] = "socket_recv",
  [26100] = "socket_create reply",
  [26101] = "socket_listen reply",
  [26102] = "socket_accept reply",
  [26103] = "socket_connect reply",
  [26104] = "socket_bind reply",
  [26105] = "socket_name reply",
  [26106] = "socket_peername reply",
  [26107] = "socket_connect2 reply",
  [26108] = "socket_create_address reply",
  [26109] = "socket_fabricate_address reply",
  [26110] = "socket_whatis_address reply",
  [26111] = "socket_shutdown reply",
  [26112] = "socket_getopt reply",
  [26113] = "socket_setopt reply",
  [26114] = "socket_send reply",
  [26115] = "socket_recv reply",
  [27000] = "newterm_from_device",
  [27001] = "newterm_makenode",
  [27100] = "newterm_from_device reply",
  [27101] = "newterm_makenode reply",
  [28000] = "term_getctty",
  [28001] = "term_open_ctty",
  [28002] = "term_set_nodename",
  [28003] = "term_get_nodename",
  [28004] = "term_set_filenode",
  [28005] = "term_get_bottom_type",
  [28006] = "term_on_machdev",
  [28007] = "term_on_hurddev",
  [28008] = "term_on_pty",
  [28009] = "termctty_open_terminal",
  [28010] = "term_get_peername",
  [28100] = "term_getctty reply",
  [28101] = "term_open_ctty reply",
  [28102] = "term_set_nodename reply",
  [28103] = "term_get_nodename reply",
  [28104] = "term_set_filenode reply",
  [28105] = "term_get_bottom_type reply",
  [28106] = "term_on_machdev reply",
  [28107] = "term_on_hurddev reply",
  [28108] = "term_on_pty reply",
  [28109] = "termctty_open_terminal reply",
  [28110] = "term_get_peername reply",
  [29000] = "startup_essential_task",
  [29001] = "startup_request_notification",
  [29002] = "startup_reboot",
  [29003] = "startup_procinit",
  [29004] = "startup_authinit",
  [29100] = "startup_essential_task reply",
  [29101] = "startup_request_notification reply",
  [29102] = "startup_reboot reply",
  [29103] = "startup_procinit reply",
  [29104] = "startup_authinit reply",
  [29500] = "startup_dosync",
  [29600] = "startup_dosync reply",
  [30000] = "exec_exec",
  [30002] = "exec_init",
  [30003] = "exec_setexecdata",
  [30004] = "exec_exec_paths",
  [30100] = "exec_exec reply",
  [30102] = "exec_init reply",
  [30104] = "exec_exec_paths reply",
  [30500] = "exec_startup_get_info",
  [30600] = "exec_startup_get_info reply",
  [32000] = "crash_dump_task",
  [32100] = "crash_dump_task reply",
  [33000] = "interrupt_operation",
  [33100] = "interrupt_operation reply",
  [34000] = "ifsock_getsockaddr",
  [34100] = "ifsock_getsockaddr reply",
  [36000] = "login_message_user",
  [36001] = "login_get_location",
  [36002] = "login_get_idle_time",
  [36003] = "login_get_input_devices",
  [36004] = "login_get_login_collection",
  [36100] = "login_message_user reply",
  [36101] = "login_get_location reply",
  [36102] = "login_get_idle_time reply",
  [36103] = "login_get_input_devices reply",
  [36104] = "login_get_login_collection reply",
  [37000] = "pfinet_siocgifconf",
  [37001] = "pfinet_getroutes",
  [37100] = "pfinet_siocgifconf reply",
  [37101] = "pfinet_getroutes reply",
  [38000] = "password_check_user",
  [38001] = "password_check_group",
  [38100] = "password_check_user reply",
  [38101] = "password_check_group reply",
  [39000] = "pci_conf_read",
  [39001] = "pci_conf_write",
  [39002] = "pci_get_ndevs",
  [39003] = "pci_get_dev_regions",
  [39004] = "pci_get_dev_rom",
  [39100] = "pci_conf_read reply",
  [39101] = "pci_conf_write reply",
  [39102] = "pci_get_ndevs reply",
  [39103] = "pci_get_dev_regions reply",
  [39104] = "pci_get_dev_rom reply",
  [40000] = "shutdown_shutdown",
  [40100] = "shutdown_shutdown reply",
  [41000] = "acpi_sleep",
  [41001] = "acpi_get_pci_irq",
  [41100] = "acpi_sleep reply",
  [41101] = "acpi_get_pci_irq reply",
  [112012] = "iioctl_siocsifaddr",
  [112014] = "iioctl_siocsifdstaddr",
  [112016] = "iioctl_siocsifflags",
  [112017] = "iioctl_siocgifflags",
  [112019] = "iioctl_siocsifbrdaddr",
  [112022] = "iioctl_siocsifnetmask",
  [112023] = "iioctl_siocgifmetric",
  [112024] = "iioctl_siocsifmetric",
  [112025] = "iioctl_siocdifaddr",
  [112033] = "iioctl_siocgifaddr",
  [112034] = "iioctl_siocgifdstaddr",
  [112035] = "iioctl_siocgifbrdaddr",
  [112037] = "iioctl_siocgifnetmask",
  [112039] = "iioctl_siocgifhwaddr",
  [112051] = "iioctl_siocgifmtu",
  [112052] = "iioctl_siocsifmtu",
  [112090] = "iioctl_siocgifindex",
  [112091] = "iioctl_siocgifname",
  [112112] = "iioctl_siocsifaddr reply",
  [112114] = "iioctl_siocsifdstaddr reply",
  [112116] = "iioctl_siocsifflags reply",
  [112117] = "iioctl_siocgifflags reply",
  [112119] = "iioctl_siocsifbrdaddr reply",
  [112122] = "iioctl_siocsifnetmask reply",
  [112123] = "iioctl_siocgifmetric reply",
  [112124] = "iioctl_siocsifmetric reply",
  [112125] = "iioctl_siocdifaddr reply",
  [112133] = "iioctl_siocgifaddr reply",
  [112134] = "iioctl_siocgifdstaddr reply",
  [112135] = "iioctl_siocgifbrdaddr reply",
  [112137] = "iioctl_siocgifnetmask reply",
  [112139] = "iioctl_siocgifhwaddr reply",
  [112151] = "iioctl_siocgifmtu reply",
  [112152] = "iioctl_siocsifmtu reply",
  [112190] = "iioctl_siocgifindex reply",
  [112191] = "iioctl_siocgifname reply",
  [120001] = "kdioctl_kdskbdmode",
  [120002] = "kdioctl_kdgkbdmode",
  [120101] = "kdioctl_kdskbdmode reply",
  [120102] = "kdioctl_kdgkbdmode reply",
  [140003] = "pioctl_rtc_uie_on",
  [140004] = "pioctl_rtc_uie_off",
  [140009] = "pioctl_rtc_rd_time",
  [140010] = "pioctl_rtc_set_time",
  [140103] = "pioctl_rtc_uie_on reply",
  [140104] = "pioctl_rtc_uie_off reply",
  [140109] = "pioctl_rtc_rd_time reply",
  [140110] = "pioctl_rtc_set_time reply",
  [148010] = "rioctl_siocaddrt",
  [148011] = "rioctl_siocdelrt",
  [148110] = "rioctl_siocaddrt reply",
  [148111] = "rioctl_siocdelrt reply",
  [156003] = "tioctl_tiocmodg",
  [156004] = "tioctl_tiocmods",
  [156013] = "tioctl_tiocexcl",
  [156014] = "tioctl_tiocnxcl",
  [156016] = "tioctl_tiocflush",
  [156019] = "tioctl_tiocgeta",
  [156020] = "tioctl_tiocseta",
  [156021] = "tioctl_tiocsetaw",
  [156022] = "tioctl_tiocsetaf",
  [156026] = "tioctl_tiocgetd",
  [156027] = "tioctl_tiocsetd",
  [156094] = "tioctl_tiocdrain",
  [156095] = "tioctl_tiocsig",
  [156096] = "tioctl_tiocext",
  [156103] = "tioctl_tiocmodg reply",
  [156104] = "tioctl_tiocmods reply",
  [156113] = "tioctl_tiocexcl reply",
  [156114] = "tioctl_tiocnxcl reply",
  [156116] = "tioctl_tiocflush reply",
  [156119] = "tioctl_tiocgeta reply",
  [156120] = "tioctl_tiocseta reply",
  [156121] = "tioctl_tiocsetaw reply",
  [156122] = "tioctl_tiocsetaf reply",
  [156126] = "tioctl_tiocgetd reply",
  [156127] = "tioctl_tiocsetd reply",
  [156194] = "tioctl_tiocdrain reply",
  [156195] = "tioctl_tiocsig reply",
  [156196] = "tioctl_tiocext reply",
  [156202] = "tioctl_tiocucntl",
  [156203] = "tioctl_tiocswinsz",
  [156204] = "tioctl_tiocgwinsz",
  [156205] = "tioctl_tiocremote",
  [156206] = "tioctl_tiocmget",
  [156207] = "tioctl_tiocmbic",
  [156208] = "tioctl_tiocmbis",
  [156209] = "tioctl_tiocmset",
  [156210] = "tioctl_tiocstart",
  [156211] = "tioctl_tiocstop",
  [156212] = "tioctl_tiocpkt",
  [156214] = "tioctl_tiocsti",
  [156215] = "tioctl_tiocoutq",
  [156218] = "tioctl_tiocspgrp",
  [156219] = "tioctl_tiocgpgrp",
  [156220] = "tioctl_tioccdtr",
  [156221] = "tioctl_tiocsdtr",
  [156222] = "tioctl_tioccbrk",
  [156223] = "tioctl_tiocsbrk",
  [156302] = "tioctl_tiocucntl reply",
  [156303] = "tioctl_tiocswinsz reply",
  [156304] = "tioctl_tiocgwinsz reply",
  [156305] = "tioctl_tiocremote reply",
  [156306] = "tioctl_tiocmget reply",
  [156307] = "tioctl_tiocmbic reply",
  [156308] = "tioctl_tiocmbis reply",
  [156309] = "tioctl_tiocmset reply",
  [156310] = "tioctl_tiocstart reply",
  [156311] = "tioctl_tiocstop reply",
  [156312] = "tioctl_tiocpkt reply",
  [156314] = "tioctl_tiocsti reply",
  [156315] = "tioctl_tiocoutq reply",
  [156318] = "tioctl_tiocspgrp reply",
  [156319] = "tioctl_tiocgpgrp reply",
  [156320] = "tioctl_tioccdtr reply",
  [156321] = "tioctl_tiocsdtr reply",
  [156322] = "tioctl_tioccbrk reply",
  [156323] = "tioctl_tiocsbrk reply",
  [424243] = "device_intr_register",
  [424244] = "device_intr_enable",
  [424245] = "vm_allocate_contiguous",
  [424343] = "device_intr_register reply",
  [424344] = "device_intr_enable reply",
  [424345] = "vm_allocate_contiguous reply",
  [999999] = "kernel_boot_get_priv_ports",
  [1000099] = "kernel_boot_get_priv_ports reply",
}
-- END GENERATED MSGIDS

local function routine_of(id)
  return MSGIDS[id] or ("msgid " .. id)
end

local function u53(tvb, at)
  return tvb(at, 4):le_uint() + tvb(at + 4, 4):le_uint() * 4294967296
end

-- A PortRef (PROTOCOL.md 3.1): returns its text and its length in bytes.
local function port_ref(tvb, at)
  local tag = tvb(at, 1):uint()
  if tag <= 1 then return REF[tag], 1 end
  local id = string.format("%d:%d", tvb(at + 1, 4):le_uint(), u53(tvb, at + 5))
  if tag == 2 or tag == 3 then return REF[tag] .. " " .. id, 13 end
  if tag == 4 then
    local inner, n = port_ref(tvb, at + 23)
    return string.format("receive %s (mscount %d, qlimit %d, no-senders to %s)", id, tvb(at + 13, 4):le_uint(), tvb(at + 17, 2):le_uint(), inner), 23 + n
  end
  return "bad tag " .. tag, 1
end

local function message_body(tvb, tree)
  local id = tvb(0, 4):le_int()
  local name = routine_of(id)
  tree:add_le(f.msgid, tvb(0, 4))
  tree:add(f.routine, name)
  tree:add_le(f.otherbits, tvb(4, 4))
  local dest = string.format("%s %d:%d", REF[tvb(8, 1):uint()] or "?", tvb(9, 4):le_uint(), u53(tvb, 13))
  tree:add(f.dest, tvb(8, 13), dest)
  local reply, rn = port_ref(tvb, 21)
  tree:add(f.reply, tvb(21, rn), reply)
  local at = 21 + rn
  local n = tvb(at, 2):le_uint()
  tree:add_le(f.nitems, tvb(at, 2))
  at = at + 2
  for i = 1, n do
    local kind = tvb(at + 0, 1):uint()
    local start = at
    local sub = tree:add(f.item, tvb(at, 2), string.format("item %d: %s", i, ITEM[kind] or "?"))
    sub:add(f.ikind, tvb(at, 1))
    sub:add(f.iflags, tvb(at + 1, 1))
    if kind == 0 or kind == 3 then
      sub:add(f.tname, tvb(at + 2, 1))
      sub:add_le(f.tsize, tvb(at + 3, 2))
      sub:add_le(f.tcount, tvb(at + 5, 4))
      sub:add_le(f.tbytes, tvb(at + 9, 4))
      local len = tvb(at + 9, 4):le_uint()
      local tname = TYPE[tvb(at + 2, 1):uint()] or tostring(tvb(at + 2, 1):uint())
      at = at + 13
      if kind == 0 then
        if len > 0 then sub:add(f.data, tvb(at, len)) end
        sub:append_text(string.format(" %s x%d, %d bytes", tname, tvb(start + 5, 4):le_uint(), len))
        at = at + len
      else
        sub:append_text(string.format(" %s x%d, %d bytes in OOL_CHUNK frames", tname, tvb(start + 5, 4):le_uint(), len))
      end
    elseif kind == 1 or kind == 2 then
      sub:add(f.tname, tvb(at + 2, 1))
      local count = tvb(at + 3, 4):le_uint()
      sub:add_le(f.tcount, tvb(at + 3, 4))
      at = at + 7
      for _ = 1, count do
        local text, len = port_ref(tvb, at)
        sub:add(f.port, tvb(at, len), text)
        at = at + len
      end
      sub:append_text(string.format(" %s x%d", TYPE[tvb(start + 2, 1):uint()] or "?", count))
    else
      break
    end
    sub:set_len(at - start)
  end
  return name
end

local function frame(tvb, pinfo, tree, from, to)
  local len = tvb(0, 4):le_uint()
  local kind = tvb(4, 1):uint()
  local sub = tree:add(netmsg, tvb(0, 4 + len), "netmsg-wire frame: " .. (KIND[kind] or "?"))
  sub:add_le(f.length, tvb(0, 4))
  sub:add(f.kind, tvb(4, 1))
  local function node(n) return n == 0 and "node?" or ("node" .. n) end
  local info = string.format("%s -> %s %s", node(from), node(to), KIND[kind] or "?")
  if kind == 5 then
    info = info .. " " .. message_body(tvb(5, len - 1):tvb(), sub)
  elseif len > 1 then
    sub:add(f.payload, tvb(5, len - 1))
  end
  pinfo.cols.info = info
end

-- GNU Mach's typed message, in the ABI the trace header names.
local function mach_message(tvb, pinfo, tree, abi, dir, task, port)
  local x64 = abi == 2
  local sub = tree:add(netmsg, tvb(), "Mach message (" .. ABI[abi] .. ")")
  sub:add_le(f.bits, tvb(0, 4))
  sub:add_le(f.msize, tvb(4, 4))
  sub:add_le(f.remote, tvb(8, 4))
  sub:add_le(f.localp, tvb(x64 and 16 or 12, 4))
  sub:add_le(f.seqno, tvb(x64 and 24 or 16, 4))
  local id = tvb(x64 and 28 or 20, 4):le_int()
  sub:add_le(f.msgid, tvb(x64 and 28 or 20, 4))
  local name = routine_of(id)
  sub:add(f.routine, name)
  local at = x64 and 32 or 24
  local total = math.min(tvb(4, 4):le_uint(), tvb:len())
  local align = x64 and 8 or 4
  local i = 0
  while at + align <= total do
    i = i + 1
    local w = tvb(at, 4):le_uint()
    local tname, size, number, inline, longform, dlen
    if x64 then
      tname = w % 256
      size = math.floor(w / 256) % 65536
      inline = math.floor(w / 0x20000000) % 2 == 1
      longform = math.floor(w / 0x40000000) % 2 == 1
      number = tvb(at + 4, 4):le_uint()
      dlen = 8
    else
      inline = math.floor(w / 0x10000000) % 2 == 1
      longform = math.floor(w / 0x20000000) % 2 == 1
      if longform then
        tname = tvb(at + 4, 2):le_uint()
        size = tvb(at + 6, 2):le_uint()
        number = tvb(at + 8, 4):le_uint()
        dlen = 12
      else
        tname = w % 256
        size = math.floor(w / 256) % 256
        number = math.floor(w / 65536) % 4096
        dlen = 4
      end
    end
    local bytes = inline and math.ceil(number * size / 8) or (x64 and 8 or 4)
    local item = sub:add(f.item, tvb(at, math.min(dlen + bytes, total - at)),
      string.format("item %d: %s, %d bits x%d%s", i, TYPE[tname] or tostring(tname), size, number, inline and "" or ", out-of-line"))
    item:add(f.tname, tname)
    item:add(f.tsize, size)
    item:add(f.tcount, number)
    item:add(f.inline, inline)
    if bytes > 0 and at + dlen + bytes <= total then item:add(f.data, tvb(at + dlen, bytes)) end
    at = at + dlen + bytes
    at = math.ceil(at / align) * align
  end
  pinfo.cols.info = string.format("%s %s %s (port %d)", task == 0 and "kernel" or ("task" .. task), dir == 0 and "->" or "<-", name, port)
end

function netmsg.dissector(tvb, pinfo, tree)
  if tvb:len() < 16 then return 0 end
  pinfo.cols.protocol = "netmsg"
  local head = tree:add(netmsg, tvb(0, 16), "hurd-rpctrace trace header")
  head:add(f.version, tvb(0, 1))
  head:add(f.what, tvb(1, 1))
  head:add(f.direction, tvb(2, 1))
  head:add(f.abi, tvb(3, 1))
  head:add_le(f.from, tvb(4, 4))
  head:add_le(f.to, tvb(8, 4))
  head:add_le(f.extra, tvb(12, 4))
  local what = tvb(1, 1):uint()
  local from = tvb(4, 4):le_uint()
  local to = tvb(8, 4):le_uint()
  if what == 1 and tvb:len() >= 21 then
    frame(tvb(16):tvb(), pinfo, tree, from, to)
  elseif what == 2 then
    local abi = tvb(3, 1):uint()
    if abi == 0 or tvb:len() < 16 + 24 then
      pinfo.cols.info = string.format("kernel -> %s (port %d, made by the kernel)", routine_of(tvb(12, 4):le_int()), to)
    else
      mach_message(tvb(16):tvb(), pinfo, tree, abi, tvb(2, 1):uint(), from, to)
    end
  end
  return tvb:len()
end

DissectorTable.get("wtap_encap"):add(wtap_encaps and wtap_encaps.USER0 or wtap.USER0, netmsg)
