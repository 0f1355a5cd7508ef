// Package atomicfile replaces a file so that a crash leaves either the old
// contents or the new ones, never a mix: written to a temporary file in the
// same folder (created 0600, so a key is never readable by others, not even
// for a moment), given its mode, synced, renamed over the old file, and the
// folder synced so the rename itself is durable.
//
// It is the one home of durable names: SyncDir after creating a file that
// something else writes and syncs (bbolt syncs its file, never the folder),
// MkdirAll for folders (a new folder is durable only once its parent is
// synced). Without them a power cut takes the new file or folder away with
// everything acknowledged in it: measured with agent/powercut, whose tests
// cut the store's writer, the sync, the archive export and init.
//
// It lives under sync/ because both ends use it: the gateway and the
// reference central store (sync/central) write their files through it, as
// cardauth/devpki does. It imports only the standard library.
package atomicfile
