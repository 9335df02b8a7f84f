import { packageTestConfig } from '../../vitest.shared.js';

// The README example imports this package by its own name.
export default packageTestConfig(['mach-msg', 'netmsg-wire']);
