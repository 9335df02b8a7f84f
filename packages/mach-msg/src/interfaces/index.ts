export {
  BUILTIN_INTERFACE_NAMES,
  BUILTIN_INTERFACE_SOURCES,
  builtinInterfaceSource,
  type BuiltinInterfaceName,
  type BuiltinInterfaceSource,
} from './sources.js';
export { builtinInterfaceForId, builtinInterfaces, getBuiltinInterface } from './builtin.js';
