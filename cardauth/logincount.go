package cardauth

import (
	"slices"
	"sync/atomic"
)

// loginSteps are the steps at which Login may refuse, in the order it
// checks them; a LoginError's Step is one of them.
var loginSteps = [...]string{"challenge", "token", "signature", "certificate", "commission"}

// LoginSteps returns the steps at which Login may refuse, in the order it
// checks them; a LoginError's Step is one of them.
func LoginSteps() []string { return slices.Clone(loginSteps[:]) }

// LoginCounts are how many logins succeeded and how many each step
// refused since the Authenticator was made: counts only, for metrics.
type LoginCounts struct {
	Succeeded uint64
	Refused   map[string]uint64 // by step (LoginSteps), every step present
}

// loginCounts counts Login's outcomes.
type loginCounts struct {
	succeeded atomic.Uint64
	byStep    [len(loginSteps)]atomic.Uint64 // in loginSteps' order
}

func (c *loginCounts) refused(step string) {
	for i, s := range loginSteps {
		if s == step {
			c.byStep[i].Add(1)
			return
		}
	}
}

// LoginCounts returns the counts of login outcomes so far.
func (a *Authenticator) LoginCounts() LoginCounts {
	out := LoginCounts{Succeeded: a.counts.succeeded.Load(), Refused: make(map[string]uint64, len(loginSteps))}
	for i, s := range loginSteps {
		out.Refused[s] = a.counts.byStep[i].Load()
	}
	return out
}
