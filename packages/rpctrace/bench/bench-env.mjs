// Imported first by every bench that starts node processes and counts or
// times them whole. Node reads NODE_EXTRA_CA_CERTS at every start: with this
// machine's bundle (/etc/ssl/certs/ca-certificates.crt, 144 certificates)
// `node -e 0` runs 507.8M instructions, 91.1M without it (cachegrind,
// 2026-11-30). That cost lands on the untraced and the traced side alike and
// so flattered every ratio: a fresh machine does not set it. It is dropped
// here, for this process and every child it starts; `--keep-ca-certs` keeps
// it (to compare with figures taken before 2026-11-30 14:30).
if (!process.argv.includes('--keep-ca-certs')) delete process.env.NODE_EXTRA_CA_CERTS;
