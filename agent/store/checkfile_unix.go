//go:build !windows

package store

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"

	"clinicgw/sync/boltfile"
)

// checkFile checks the structure of the open store file f of size bytes
// through a read-only mapping of it (no copy: only the bytes bbolt reads
// are touched). A fault on the mapping (the file cut short meanwhile, a
// read error of the disk) is a damaged file, not a crash.
func checkFile(ctx context.Context, f *os.File, size int64, progress func(done, total uint64)) (rep boltfile.Report, err error) {
	if size <= 0 || int64(int(size)) != size {
		return boltfile.Check(ctx, f, size, progress)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return boltfile.Check(ctx, f, size, progress)
	}
	defer syscall.Munmap(b)
	defer func() {
		if p := recover(); p != nil {
			if _, fault := p.(interface{ Addr() uintptr }); !fault {
				panic(p)
			}
			err = fmt.Errorf("its pages could not be read (the file was cut short, or the disk failed to read it): %v", p)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return boltfile.CheckBytes(ctx, b, progress)
}
