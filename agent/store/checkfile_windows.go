package store

import (
	"context"
	"os"

	"clinicgw/sync/boltfile"
)

// checkFile checks the structure of the open store file f of size bytes,
// reading it page by page.
func checkFile(ctx context.Context, f *os.File, size int64, progress func(done, total uint64)) (boltfile.Report, error) {
	return boltfile.Check(ctx, f, size, progress)
}
