package notify_test

import (
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/notify/notifytest"
)

// messageIDs counts the e-mails the server took to the nurse by their
// Message-ID (the notice's id: the same on every attempt).
func messageIDs(t *testing.T, msgs []notifytest.Message) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range msgs {
		if len(m.To) != 1 || m.To[0] != "syster@vc.example.se" {
			continue
		}
		msg, err := mail.ReadMessage(strings.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		out[msg.Header.Get("Message-ID")]++
	}
	return out
}

// TestMailDropAfterData: the mail server cuts the connection after the
// whole message was sent (DATA and its final "."), before its reply, so
// the gateway cannot know whether the notice went. It keeps the notice
// and sends it again: none is ever lost. When the server had in fact
// taken the message, the nurse gets it twice, with the same Message-ID
// (README: a duplicate notice is possible, a lost one never).
func TestMailDropAfterData(t *testing.T) {
	for _, keep := range []bool{false, true} {
		name := map[bool]string{false: "server lost it", true: "server kept it"}[keep]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "127.0.0.1:0")
			ctx := context.Background()
			const notices = 3
			for range notices {
				if err := f.n.CaseAssigned(ctx, hsaNurse); err != nil {
					t.Fatal(err)
				}
			}
			f.mail.DropAfterData(2, keep)
			f.deliver(t)
			if d := f.mail.Dropped(); d != 2 {
				t.Fatalf("the server cut %d deliveries, want 2: the fault was not tried", d)
			}
			p, err := f.n.Pending(ctx)
			if err != nil || len(p) != 2 {
				t.Fatalf("after the cut deliveries %d notices wait (%v), want the 2 cut", len(p), err)
			}
			for i := 0; i < 10; i++ {
				f.clock.Advance(time.Hour)
				f.deliver(t)
			}
			if p, _ := f.n.Pending(ctx); len(p) != 0 {
				t.Fatalf("%d notices still queued", len(p))
			}
			ids := messageIDs(t, f.mail.Messages())
			if len(ids) != notices {
				t.Fatalf("the nurse got %d distinct notices, want %d: a notice was lost (%v)", len(ids), notices, ids)
			}
			dups := 0
			for id, n := range ids {
				switch {
				case n == 2 && keep:
					dups++
				case n != 1:
					t.Errorf("notice %s arrived %d times", id, n)
				}
			}
			if keep && dups != 2 {
				t.Errorf("%d duplicates, want the 2 the server kept before cutting", dups)
			}
		})
	}
}
