// Package casestest holds the cases.Service test suite that every
// cases.Store implementation must pass, like testing/fstest.
package casestest
