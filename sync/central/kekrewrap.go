package central

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"clinicgw/sync/atomicfile"
	"clinicgw/sync/kekfile"
)

// Rewrapping the key ring under a new KEK (`clinicgw central-keys
// rewrap`), with the store stopped (OpenKeys locks its file). Every key
// of the ring is unwrapped with the old KEK and wrapped with the new one,
// checked to unwrap again, and the ring file is replaced whole
// (atomicfile): a kill before the replacement leaves the ring under the
// old KEK, after it under the new one, never a mix. The new ring starts
// with the line "# kek <id>" naming the KEK it is under (older readers
// skip it), so a store started with the other KEK says which to use.
//
// A file KEK rotated in place goes through KEKFile + ".new": the new key
// is made there (or taken from there by a rewrap run again), the ring
// rewrapped, and the new file renamed over the old one, which retires it.
// Opening the ring finishes that last step when a kill left it undone
// (finishFileKEKSwap): the ring does not open with the KEK file and the
// ".new" file beside it opens it. Moving to another file or to a token,
// the old file is removed only once the ring is under the new KEK.

// rewrapHook, when set (tests), is called after each step of a rewrap;
// an error stops it there, as a kill.
var rewrapHook func(step string) error

func rewrapStep(step string) error {
	if rewrapHook == nil {
		return nil
	}
	return rewrapHook(step)
}

// kekHeader is the ring's first line after a rewrap.
func kekHeader(id string) string { return "# kek " + id + "\n" }

// RewrapKEK rewraps every key of the ring under next and replaces the
// ring file with them; progress (if not nil) is called after each key.
// A ring already under next is left as it is.
func (k *Keys) RewrapKEK(next KEK, progress func(done, total int)) error {
	r := k.s.ring
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kek.ID() == next.ID() {
		return nil
	}
	owners := make([]string, 0, len(r.wrapped))
	for o := range r.wrapped {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	var buf strings.Builder
	buf.WriteString(kekHeader(next.ID()))
	moved := make(map[string][]byte, len(owners))
	for i, o := range owners {
		v, err := r.kek.Unwrap(r.wrapped[o], ringAAD(o))
		if err != nil {
			return fmt.Errorf("rewrap: a key of the ring does not open with the key-encryption key %s: %w", r.kek.ID(), err)
		}
		w, err := next.Wrap(v, ringAAD(o))
		if err != nil {
			return fmt.Errorf("rewrap: wrap with the new key-encryption key %s: %w", next.ID(), err)
		}
		if back, err := next.Unwrap(w, ringAAD(o)); err != nil || !bytes.Equal(back, v) {
			return fmt.Errorf("rewrap: a key wrapped with the new key-encryption key %s does not unwrap to itself (%v): nothing changed", next.ID(), err)
		}
		clear(v)
		moved[o] = w
		buf.WriteString(ringLine(o, w))
		if progress != nil {
			progress(i+1, len(owners))
		}
	}
	if err := rewrapStep("wrapped"); err != nil {
		return err
	}
	if err := atomicfile.Write(r.path, []byte(buf.String()), 0o600); err != nil {
		return fmt.Errorf("rewrap: the key ring %s: %w", r.path, err)
	}
	if err := rewrapStep("ring replaced"); err != nil {
		return err
	}
	r.kek, r.wrapped, r.open, r.under = next, moved, map[string][]byte{}, next.ID()
	return nil
}

// RotateFileKEK rewraps the ring under a new key file made at path +
// ".new" (or the one a stopped run left there) and renames it over path:
// the KEK file keeps its name, the old key is gone. It returns the new
// KEK's id.
func (k *Keys) RotateFileKEK(path string, random io.Reader, progress func(done, total int)) (string, error) {
	next, err := kekfile.LoadOrCreate(path+".new", random)
	if err != nil {
		return "", fmt.Errorf("the new key-encryption key %s.new: %w", path, err)
	}
	if err := rewrapStep("new key made"); err != nil {
		return "", err
	}
	if err := k.RewrapKEK(next, progress); err != nil {
		return "", err
	}
	if err := swapKEKFile(path); err != nil {
		return "", err
	}
	return next.ID(), nil
}

// swapKEKFile renames path + ".new" over path, durably.
func swapKEKFile(path string) error {
	if err := os.Rename(path+".new", path); err != nil {
		return fmt.Errorf("put the new key-encryption key in place of %s: %w", path, err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("put the new key-encryption key in place of %s: %w", path, err)
	}
	return rewrapStep("key file replaced")
}

// RetireKEKFile removes the old KEK's file once the ring is under
// another KEK; it refuses while the ring opens with it.
func (k *Keys) RetireKEKFile(path string) error {
	old, err := kekfile.Load(path, nil)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if old.ID() == k.s.ring.kek.ID() {
		return fmt.Errorf("the key-encryption key %s still wraps the key ring: it is not retired", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("retire the old key-encryption key %s: %w", path, err)
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}

// finishFileKEKSwap finishes a file KEK's rotation that a kill stopped
// after the ring was replaced: when the ring does not open with kek (the
// file at path) and path + ".new" opens it, that file is renamed over
// path and returned. Otherwise kek is returned as it is.
func finishFileKEKSwap(path string, kek KEK, r *keyRing, random io.Reader) (KEK, error) {
	var owner string
	for o := range r.wrapped {
		owner = o
		break
	}
	if owner == "" {
		return kek, nil
	}
	if _, err := kek.Unwrap(r.wrapped[owner], ringAAD(owner)); err == nil {
		return kek, nil
	}
	next, err := kekfile.Load(path+".new", random)
	if err != nil {
		return kek, nil // no rotation stopped half-way: the caller's check says what is wrong
	}
	if _, err := next.Unwrap(r.wrapped[owner], ringAAD(owner)); err != nil {
		return kek, nil
	}
	if err := swapKEKFile(path); err != nil {
		return nil, err
	}
	r.kek = next
	return next, nil
}
