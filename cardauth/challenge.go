package cardauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"clinicgw/sync/clock"
)

// Login challenges: a nonce of NonceBytes random bytes, valid for
// ChallengeTTL, remembered with the browser's pre-login binding that asked
// for it, used at most once.
const (
	NonceBytes   = 32 // 256 bits (Web eID asks for at least 256)
	ChallengeTTL = 60 * time.Second
	// maxChallenges bounds the outstanding challenges, so that asking for
	// them in a loop cannot grow memory without end.
	maxChallenges = 10000
)

// Challenge errors.
var (
	ErrNoChallenge      = errors.New("no login challenge for this browser: it was used already, or never issued")
	ErrChallengeExpired = errors.New("the login challenge expired")
	ErrBusy             = errors.New("too many logins in progress")
)

// challenges holds the outstanding nonces by binding.
type challenges struct {
	mu    sync.Mutex
	clock clock.Clock
	rand  io.Reader
	ttl   time.Duration
	m     map[string]challenge // binding → its one outstanding challenge
}

type challenge struct {
	nonce   string
	expires time.Time
}

// issue makes a new nonce for binding, replacing any older one of it.
func (c *challenges) issue(binding string) (string, time.Time, error) {
	if binding == "" {
		return "", time.Time{}, errors.New("issue challenge: no browser binding")
	}
	b := make([]byte, NonceBytes)
	if _, err := io.ReadFull(c.rand, b); err != nil {
		return "", time.Time{}, fmt.Errorf("issue challenge: %w", err)
	}
	nonce := base64.StdEncoding.EncodeToString(b)
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxChallenges {
		for k, ch := range c.m {
			if !now.Before(ch.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxChallenges {
			return "", time.Time{}, ErrBusy
		}
	}
	exp := now.Add(c.ttl)
	c.m[binding] = challenge{nonce: nonce, expires: exp}
	return nonce, exp, nil
}

// take removes and returns binding's nonce: a nonce is used at most once,
// whatever the login's outcome.
func (c *challenges) take(binding string) (string, error) {
	c.mu.Lock()
	ch, ok := c.m[binding]
	delete(c.m, binding)
	c.mu.Unlock()
	switch {
	case !ok:
		return "", ErrNoChallenge
	case !c.clock.Now().Before(ch.expires):
		return "", ErrChallengeExpired
	}
	return ch.nonce, nil
}
