// Package democlinic builds a whole demonstration care unit in a folder: a
// development PKI (never a real key), the staff directory with demo staff
// in every role, a revocation list served on loopback, and the gateway's
// configuration with card login and the web UI. `clinicgw demo` runs it;
// the web UI's end-to-end tests start their clinics with it.
//
// Every HSA-ID, name and personnummer in it is invented.
package democlinic
