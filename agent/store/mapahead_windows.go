package store

// mapAhead: see mapahead.go.
const mapAhead = false
