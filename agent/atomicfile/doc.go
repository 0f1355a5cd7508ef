// Package atomicfile replaces a file so that a crash leaves either the old
// contents or the new ones, never a mix: written to a temporary file in the
// same folder (created 0600, so a key is never readable by others, not even
// for a moment), given its mode, synced, renamed over the old file, and the
// folder synced so the rename itself is durable.
package atomicfile
