export {
  BUILTIN_INTERFACE_NAMES,
  BUILTIN_INTERFACE_SOURCES,
  builtinInterfaceSource,
  type BuiltinInterfaceName,
  type BuiltinInterfaceSource,
} from './sources.js';
export { builtinInterfaces, getBuiltinInterface } from './builtin.js';
