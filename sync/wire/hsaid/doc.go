// Package hsaid is the one home of the HSA-ID rule: the identifier Inera's
// HSA directory (Katalogtjänst HSA) gives care units and staff, as SITHS
// certificates carry it in the subject serialNumber.
//
// An HSA-ID is "SE", the directory owner's organisation number (10 digits,
// or 12 with the prefix 16), "-", then one or more of A–Z, a–z and 0–9;
// 31 characters at most in all ("HSA-id ska inte överskrida 31 tecken
// totalt"). For example SE2321000016-15ZM or SE162321000255-O10951.
//
// Check says what is wrong with a value that is not one, without
// repeating it; Valid is the same as a yes or no; Contains finds text that
// holds an HSA-ID, which must never be shown to a patient as a title. The
// configuration, the staff directory, the case service, the certificates
// (sync/tlsconf), the sync protocol (sync/wire) and the reference central
// store all check HSA-IDs here. It is a leaf: it imports only the standard
// library.
package hsaid
