// The gRPC baseline's service: one unary method, raw Buffers both ways (no
// protobuf, no proto-loader), so gRPC's cost is HTTP/2 framing and its call
// machinery, as netmsg-server's is its framing and RPC machinery.
export const ECHO_SERVICE = {
  Echo: {
    path: '/bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b) => b,
    requestDeserialize: (b) => b,
    responseSerialize: (b) => b,
    responseDeserialize: (b) => b,
  },
};
