// netmsg-wire: a versioned, ABI-neutral protocol carrying Mach messages and
// port rights between nodes, and the sans-IO node state machine that runs it.
export { WireError, isWireError, type WireErrorCode } from './errors.js';
export { DEFAULT_LIMITS, withLimits, type WireLimits } from './limits.js';
export { portKey, samePort, type PortId, type PortKey } from './identity.js';
export {
  countPorts, oolBytes, portRefs,
  type PortRef, type ReceiveState, type RightKind, type RightRef, type SendRef, type SendOnceRef, type ReceiveRef,
  type WireDataItem, type WireItem, type WireMessage, type WireOolItem, type WirePortsItem,
} from './wire-message.js';
export { encodeMessageBody, decodeMessageBody } from './message-codec.js';
export { FrameKind, FrameReader, encodeFrame, FRAME_PREFIX, type BodyPlacer, type RawFrame } from './frame.js';
export { ReceivePool, receivePool, releaseReceived, POOL_MIN_BYTES, type ReceivePoolStats } from './receive-pool.js';
export {
  HelloSchema, AuthSchema, CloseSchema, ControlSchema, packControl, unpackControl,
  type Hello, type Auth, type Close, type ControlFrame,
} from './schemas.js';
export { authProof, proofMatches, chooseVersion } from './handshake.js';
export {
  Connection, PROTOCOL_VERSION, PREAUTH_FRAME_BYTES,
  type ConnectionConfig, type ConnectionEvent, type LinkFrame, type OutOfLinePlacer, type PeerInfo,
} from './connection.js';
export { toWireMessage, fromWireMessage, oolPortNames, rightOfTypeName, moveDisposition, type NameToRef, type RefToName } from './abi-neutral.js';
export {
  NetmsgNode,
  type DeliveryToken, type NodeAction, type NodeConfig, type NodeEvent, type NodeTables, type ReceiveStatus,
} from './node.js';
