/**
 * The MIG interface compiler: parse GNU Mach / Hurd `.defs` files, lay their
 * routines out per ABI as MIG does, and encode/decode their messages.
 */
export type { ArgDecl, ArgFlag, ArgKind, DefsFile, ImportStatement, IpcName, MsgOptionStatement, PrefixStatement, RcsIdStatement, RoutineStatement, SkipStatement, Statement, StructField, SubsystemStatement, TransTypeSpec, TypeClause, TypeSpec, TypeStatement, WaitTimeStatement } from './ast.js';
export { POLYMORPHIC } from './ast.js';
export { isMigError, MIG_RETURN_CODES, MigError, type MigErrorCode, type SourceLoc } from './errors.js';
export { tokenize, type Token, type TokenKind } from './lexer.js';
export {
  createMapIncludeResolver,
  type Defines,
  type IncludeRequest,
  type IncludeResolver,
  predefinedMacros,
  preprocess,
  type PreprocessOptions,
  type PreprocessResult,
  type ResolvedInclude,
} from './preprocess.js';
export { createFsIncludeResolver } from './fs-resolver.js';
export { type ParseOptions, parseDefs, parseTokens } from './parser.js';
export { abiFacts, type AbiFacts, type ArrayKind, type CValue, type MigType, TypeTable } from './types.js';
export { INLINE_ARRAY_LIMIT, type ItemLayout, layoutRoutine, type MessageLayout, type Placement, type RoutineArg, type RoutineLayout } from './layout.js';
export { type CheckSide, decodeItem, decodeReply, decodeRequest, type DecodedReply, type DecodedRequest, encodeItem, encodeReply, encodeRequest, type EncodeOptions } from './codec.js';
export { isOolRef, isPortRight, type MigArgs, type MigValue, type OolRef, type PortArray, portArray, type PortRight } from './values.js';
export { compileDefs, compileInterface, type CompiledInterface, type CompiledRoutine, type CompileOptions, type SubsystemInfo } from './compile.js';
export { typedRoutine, type TypedRoutine } from './typed.js';
export { argTypeScript, generateStubs, type StubOptions } from './stubs.js';
