// Package kekfile is the key-encryption key held in a file, as both ends
// keep it: the gateway's store (agent/store, [store] key_file) and the
// reference central store (sync/central, central.db.kek). The file is the
// line "clinicgw-kek-v1 " and 32 random bytes in base64, mode 0600 (on
// Windows the installer's ACL on the state folder stands in for the mode).
// The key wraps data keys with AES-256-GCM, a random nonce in front; its
// ID is "file:" and the first 8 bytes (hex) of an HMAC-SHA-256 of a fixed
// label under the key, so messages can tell keys apart without showing
// them.
//
// It lives under sync/ because both ends use it and sync/central may not
// import agent/; it imports only the standard library and sync/atomicfile.
package kekfile
