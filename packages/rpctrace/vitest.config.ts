import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig(['mach-msg', 'hurd-ffi', 'netmsg-wire', 'netmsg-server', 'pager-core']);
