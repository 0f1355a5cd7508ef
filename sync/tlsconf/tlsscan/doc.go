// Package tlsscan checks a TLS endpoint from the outside with Debian's
// sslscan (checklist row TL1): the tests of both of the product's TLS
// endpoints — the central store's sync API and the gateway's web UI — run
// the same scan and the same judgement of its report.
package tlsscan
