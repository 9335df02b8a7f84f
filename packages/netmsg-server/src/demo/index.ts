// The main-job demo: `netmsg-server demo`, or runDemo() from a program.
export { runDemo, type DemoOptions, type DemoResult } from './main-job.js';
