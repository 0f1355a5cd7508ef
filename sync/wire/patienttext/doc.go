// Package patienttext holds the sentences the realistic test cases are
// made of: what patients write, with å, ä, ö, punctuation and figures. A
// leaf package under sync/wire (whose code and tests import only the
// standard library and wire's own subpackages), so that wire's decoder
// tests build their realistic pages from the same sentences as the sync
// benchmarks' cases (sync/central/backlogtest).
package patienttext
