// Package proxytest is a TLS-terminating reverse proxy for tests that
// logs every byte it forwards in the clear, both directions, websocket
// streams included: what a load balancer or reverse proxy in front of
// the central store would see of the sync (issue 22's canary sweeps).
// It is the one copy; the uplink's and the demo's sweeps both use it.
package proxytest
