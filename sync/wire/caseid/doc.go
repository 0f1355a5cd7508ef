// Package caseid is the one home of the case id: 128 bits — 48 of Unix
// milliseconds, 80 random — written as 26 characters of lower-case
// Crockford base32, so ids sort as strings in time order and carry nothing
// about the patient. New makes one (the gateway for the cases staff start,
// the central store for the cases patients send), Parse accepts only what
// New writes (one spelling per id), and the sync protocol's decoders check
// ids with it. It is a leaf: it imports only the standard library.
package caseid
