package central

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

// batchRefusable runs fn in a batched write transaction (bbolt's Batch):
// patients' booking requests arriving together, as they do when a unit
// opens its times, share one commit and its fsync instead of queueing for
// one each (1000 at once: 3.7 s → 0.03 s on a loaded machine,
// BenchmarkBookingRush). fn may run more than once (a batch is run again
// when one of its calls fails) and must decide everything from tx. A
// refusal fn returns before it writes anything (an InputError or
// ErrNoBooking) goes back to its caller without failing the batch, which
// would otherwise be rolled back and every other request in it run again.
func (s *Store) batchRefusable(fn func(*bolt.Tx) error) error {
	var refused error
	err := s.db.Batch(func(tx *bolt.Tx) error {
		refused = nil
		err := fn(tx)
		if _, ok := errors.AsType[*InputError](err); ok || errors.Is(err, ErrNoBooking) {
			refused = err
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return refused
}
