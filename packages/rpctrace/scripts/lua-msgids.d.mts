import type { MsgIdCatalog } from 'mach-msg';
export declare const BEGIN: string;
export declare const END: string;
export declare function luaMsgIds(catalog?: MsgIdCatalog): string;
