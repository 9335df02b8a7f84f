// Remote memory, node side: io_map served by pager-core's engine on the node's kernel.
export { FilePager, type FilePagerOptions, type FilePagerStats, type PagerTrace } from './file-pager.js';
export { MapService, type MapServiceOptions, type MappedFile } from './map-service.js';
export { lateMapService } from './node-maps.js';
