// Package seal is the sealed envelope of the sync protocol: a payload
// (a case, a message) encrypted to one care unit's sealing key so that
// only that unit's gateway opens it, whatever stores or forwards it on the
// way (the central store's file and backups, a TLS-terminating proxy).
// Both ends import it; it is a leaf beside sync/wire.
//
// # Cryptography
//
// HPKE (RFC 9180, base mode) from the standard library's crypto/hpke with
// one fixed suite, SuiteName: the hybrid post-quantum KEM ML-KEM-768 +
// X25519 (X-Wing, draft-ietf-hpke-pq), HKDF-SHA256 and AES-256-GCM, so a
// payload recorded today stays closed to a future quantum computer as long
// as either ML-KEM-768 or X25519 holds. A unit's private key is its 32-byte
// X-Wing seed (what the gateway's key ring wraps under its KEK); its
// public key is 1216 bytes. A key's id (KeyID) is the first 16 bytes of
// SHA-256 over a label and the public key: it names the key in envelopes,
// in the key ring and in the signed statement the central store publishes
// (statement.go), and cannot be attached to another public key unnoticed.
//
// # The envelope (version 1)
//
// Binary, big-endian, nothing optional; the decoder (Decode) refuses any
// other length, version or suite, and anything after the ciphertext:
//
//	offset  size  field
//	0       1     version, 1
//	1       2     KEM id, 0x647a (MLKEM768-X25519)
//	3       2     KDF id, 0x0001 (HKDF-SHA256)
//	5       2     AEAD id, 0x0002 (AES-256-GCM)
//	7       1     n, the length of the unit's HSA-ID, 1..31
//	8       n     the unit's HSA-ID (the recipient)
//	8+n     16    the recipient key's id
//	24+n    1120  the encapsulated key (HPKE enc)
//	1144+n  4     c, the ciphertext's length, 16..MaxPlaintext+16
//	1148+n  c     the ciphertext (AES-256-GCM, tag included)
//
// The HPKE info is the fixed label "clinicgw seal v1"; the AEAD's
// additional data is the header (every byte before the encapsulated key)
// followed by the length-prefixed id (the case or event id) and kind of
// what is sealed (Context). So a flipped bit anywhere fails to open; a
// payload moved to another case, event or kind fails to open
// (ErrAltered, as the envelope cannot tell a move from an alteration);
// one for another unit is refused before any cryptography (ErrWrongUnit),
// as is one for a key the opener does not hold (ErrUnknownKey) or has
// retired (ErrRetiredKey); a short one is ErrTruncated. The errors are
// typed so that the gateway can say why it quarantines a payload.
//
// # Epochs (envelope version 2)
//
// One KEM per payload costs 1.1–1.9 ms each way; a backlog of 100 000
// cases would take minutes to open. So the central store seals under an
// epoch (Epochs): it encapsulates once per (unit, key) and epoch — an
// epoch ends after DefaultEpochPayloads payloads, DefaultEpochAge, a
// restart (its secret lives in memory only, never in the store's file) or
// when the unit's key changes — and each payload gets its own AES-256-GCM
// key from the epoch's HPKE exporter (RFC 9180 §5.3) over the label
// "clinicgw seal v2 payload" and the length-prefixed id and kind of the
// payload, with a random 96-bit nonce. Version 2 is version 1 with the
// version byte 2 and the nonce after the encapsulated key:
//
//	offset  size  field
//	0..23+n       as version 1 (version 2)
//	24+n    1120  the epoch's encapsulated key (the same in each payload of the epoch)
//	1144+n  12    the nonce
//	1156+n  4     c, the ciphertext's length
//	1160+n  c     the ciphertext (AES-256-GCM under the payload's key)
//
// The additional data is version 1's (header, id, kind), so every
// refusal of version 1 holds: another unit (ErrWrongUnit) or a key not
// held or retired (ErrUnknownKey, ErrRetiredKey) before any cryptography,
// a flipped bit, a move to another id or kind, an altered encapsulated key
// (ErrAltered). Every payload carries its epoch's encapsulated key, so a
// payload opens alone (in the gateway's journal, after reconciliation,
// out of quarantine). The Opener decapsulates once per epoch and keeps
// the opened context in memory (at most 256, keyed by SHA-256 over the
// key id and the encapsulated key); a context is kept only after a payload
// opened with it, so altered encapsulations neither open nor fill the
// cache. Each payload then costs the exporter and one AEAD: see
// BenchmarkEpochSealOpen2KiB beside BenchmarkSealOpen2KiB. The KEM is
// still ML-KEM-768 + X25519: the epoch's secret is as post-quantum as a
// version-1 payload's, and whoever breaks one epoch's encapsulation reads
// that epoch's payloads (at most a day's or DefaultEpochPayloads) and no
// other.
//
// # Epoch references (envelope version 3)
//
// A version-2 envelope is about twice its payload on the wire, in the
// gateway's decoder and in its sync journal, for the 1120 bytes of
// encapsulated key every payload of the epoch repeats. Version 3 names
// the epoch instead (Epochs.SealRef): its id (EpochID, EpochRecord.ID) is
// the first 16 bytes of SHA-256 over the label "clinicgw seal v3 epoch",
// the unit after its length, the key id and the encapsulated key, so no
// other encapsulation, key or unit answers to it, and the encapsulation
// travels once per epoch as an EpochRecord (the central store's epoch
// table, sync/wire's SealingEpoch). Version 3 is version 1's header with
// the version byte 3, then:
//
//	offset  size  field
//	0..23+n       as version 1 (version 3)
//	24+n    16    the epoch id
//	40+n    12    the nonce
//	52+n    4     c, the ciphertext's length
//	56+n    c     the ciphertext (AES-256-GCM under the epoch's key)
//
// The additional data is the header up to and with the epoch id, then the
// length-prefixed id and kind, as in version 1; the refusals of version 2
// hold (ErrWrongUnit, ErrUnknownKey, ErrRetiredKey before any
// cryptography; ErrAltered for a flipped bit, a move to another id, kind
// or epoch). An envelope naming an epoch the opener was not given is
// ErrUnknownEpoch (an *EpochError): not a refusal but a request for the
// record, which Opener.AddEpoch takes (one decapsulation) and
// ParseEpochRecord checks against the id wherever it was kept — a record
// altered, swapped or of another unit is ErrAltered.
//
// The per-payload derivation of version 2 (an HPKE export, that is
// HKDF-Expand, and an AES key schedule per payload, each way) is gone:
// the epoch's AES-256-GCM key is exported once ("clinicgw seal v3 epoch
// key") and each payload has a random 96-bit nonce. The binding does not
// weaken: the additional data binds unit, key, epoch, id and kind, as the
// per-payload key did; and an epoch seals at most DefaultEpochPayloads
// payloads, so the chance that two share a nonce (about n²/2⁹⁷, under
// 2⁻⁷⁰) is far below GCM's bound for random nonces (2⁻³² at 2³²
// messages). See BenchmarkEpochRefSealOpen2KiB.
//
// HPKE's encapsulation draws its randomness from crypto/rand: the standard
// library takes no io.Reader there (tests make it deterministic with
// testing/cryptotest). Key generation takes the seed from the caller.
//
// # Figures
//
// BenchmarkSealOpen2KiB seals and opens a 2 KiB Swedish case text
// (version 1), BenchmarkEpochSealOpen2KiB and BenchmarkEpochRefSealOpen2KiB
// the same under one epoch (versions 2 and 3); the figures of the last run
// are in the README's Sealing keys section. The
// KEM dominates (ML-KEM-768 and X25519 in each direction); the AEAD over
// 2 KiB is negligible beside it.
//
// # The central store's key
//
// The gateway seals its outbox items to the central store's own key
// (version 1 envelopes, OutboxContext: the sending unit in the envelope,
// the item's idempotency key and kind as additional data). The central
// store publishes that key in a statement signed with its TLS server
// certificate; VerifyCentralStatement checks it against the pinned central
// CA for the host dialled (central.go).
package seal
