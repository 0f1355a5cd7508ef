package booking

import (
	"clinicgw/sync/wire/hsaid"
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/store"
)

// Tx is what the diary needs of one store transaction: sealed records and
// clear indexes (see agent/store/diary.go).
type Tx interface {
	Get(bucket string, key []byte) ([]byte, error)
	Put(bucket string, key, value []byte) error
	Delete(bucket string, key []byte) error
	Scan(bucket string, from, to []byte, fn func(key, value []byte) (bool, error)) error
	IndexGet(bucket string, key []byte) ([]byte, error)
	IndexPut(bucket string, key, value []byte) error
	IndexScan(bucket string, from, to []byte, fn func(key, value []byte) bool) error
}

// Store runs a function in one write or read transaction. An error from
// fn rolls back what it wrote and is returned as it is.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
}

// OnStore is the diary kept in the encrypted store.
func OnStore(db *store.DB) Store { return dbStore{db} }

type dbStore struct{ db *store.DB }

func (s dbStore) Update(ctx context.Context, fn func(Tx) error) error {
	return s.db.DiaryUpdate(ctx, func(t *store.DiaryTx) error { return fn(t) })
}

func (s dbStore) View(ctx context.Context, fn func(Tx) error) error {
	return s.db.DiaryView(ctx, func(t *store.DiaryTx) error { return fn(t) })
}

// Bucket names, from the store.
const (
	bTypes      = store.DiaryTypes
	bTemplates  = store.DiaryTemplates
	bExceptions = store.DiaryExceptions
	bTimes      = store.DiaryTimes
	iTimes      = store.DiaryIdxTimes
	iFree       = store.DiaryIdxFree
	iHeld       = store.DiaryIdxHeld
	bMeta       = store.DiaryMeta
)

// slotKey is a time's key: its start, 8 bytes big-endian Unix seconds,
// then the clinician's HSA-ID; so keys sort by start across clinicians.
func slotKey(start time.Time, clinician string) []byte {
	return append(startKey(start), clinician...)
}

func startKey(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.Unix())) }

func keyOf(id SlotID) ([]byte, error) {
	secs, clin, ok := strings.Cut(string(id), "-")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !ok || err != nil || n <= 0 || strconv.FormatInt(n, 10) != secs || !hsaid.Valid(clin) {
		return nil, errors.New("not a time id: <unix seconds>-<HSA-ID>")
	}
	return slotKey(time.Unix(n, 0), clin), nil
}

// indexValue is a time's clear index value: length (2 bytes) and type id.
func indexValue(s *Slot) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(s.Minutes)), s.TypeID...)
}

// indexed is a time as the clear indexes tell it.
type indexed struct {
	Start     time.Time
	Clinician string
	Minutes   int
	TypeID    string
}

func parseIndexed(k, v []byte) (indexed, bool) {
	if len(k) < 9 || len(v) < 2 {
		return indexed{}, false
	}
	return indexed{
		Start:     time.Unix(int64(binary.BigEndian.Uint64(k)), 0).UTC(),
		Clinician: string(k[8:]),
		Minutes:   int(binary.BigEndian.Uint16(v)),
		TypeID:    string(v[2:]),
	}, true
}
