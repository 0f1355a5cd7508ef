package booking

import "context"

// A change can carry more work that must commit with it or not at all
// (WithinChange): the caller's function runs in the change's own write
// transaction, once the change is decided and its access-log entry
// appended, before the commit; an error from it rolls the change back and
// is returned as it is. Booking a time from a request case uses it to
// answer the case in the same transaction (localui's diarycase.go), so a
// crash leaves either both or neither.

type withinKey struct{}

// WithinChange is ctx whose diary changes (Book, Rebook, Cancel and the
// marks) also run fn in their write transaction before they commit.
func WithinChange(ctx context.Context, fn func(tx Tx) error) context.Context {
	return context.WithValue(ctx, withinKey{}, fn)
}

// finishChange appends ctx's access-log entry of the change (logChange)
// and runs ctx's WithinChange function, if any, in tx.
func finishChange(ctx context.Context, tx Tx, before, after *Booking) error {
	if err := logChange(ctx, tx, before, after); err != nil { // accesslog.go
		return err
	}
	if fn, ok := ctx.Value(withinKey{}).(func(tx Tx) error); ok && fn != nil {
		return fn(tx)
	}
	return nil
}
