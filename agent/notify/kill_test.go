//go:build unix

package notify_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent/notify"
	"clinicgw/agent/store"
)

// The notice queue killed as a real process between the send and the
// dequeue: a child process (this test binary, re-executed) opens the
// store, delivers the queued notice to the mail server, which takes it,
// and SIGKILLs itself at the dequeue, before the notice leaves the queue.
// The parent opens the store again and delivers: the notice goes a second
// time, with the same Message-ID. A duplicate, documented in the README;
// never a loss.

const (
	notifyKillDirEnv  = "CLINICGW_NOTIFY_KILL_DIR"  // the store's folder; ca.pem beside it
	notifyKillMailEnv = "CLINICGW_NOTIFY_KILL_MAIL" // the mail server's address
)

// killAtDequeue is the store as the notice queue, SIGKILLing this process
// when a delivered notice is to leave the queue.
type killAtDequeue struct{ *store.DB }

func (k killAtDequeue) DeleteSetting(context.Context, string) error {
	os.Stdout.WriteString("fault dequeue\n")
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}

func openStoreIn(t *testing.T, dir string) *store.DB {
	t.Helper()
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: "SE2321000016-TEST"})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newMailNotifier(t *testing.T, q notify.Queue, addr, user, pass string, roots *x509.CertPool) *notify.Notifier {
	t.Helper()
	mailer, err := notify.NewMailer(notify.SMTPConfig{Addr: addr, Username: user, Password: pass,
		From: "clinicgw <noreply@vc.example.se>", RootCAs: roots, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Config{UnitName: unitName, Queue: q, Recipients: recipients{}, Mailer: mailer,
		Clock: &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNoticeKillChild(t *testing.T) {
	dir := os.Getenv(notifyKillDirEnv)
	if dir == "" {
		t.Skip("helper process for TestNoticeKilledBetweenSendAndDequeue")
	}
	pem, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	db := openStoreIn(t, dir)
	n := newMailNotifier(t, killAtDequeue{db}, os.Getenv(notifyKillMailEnv), os.Getenv("CLINICGW_NOTIFY_KILL_USER"), os.Getenv("CLINICGW_NOTIFY_KILL_PASS"), roots)
	if _, err := n.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("delivered without reaching the dequeue\n")
}

func TestNoticeKilledBetweenSendAndDequeue(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	f := newFixture(t, "127.0.0.1:0")
	dir := t.TempDir()
	if err := store.GenerateKeyFile(filepath.Join(dir, "kek"), rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), f.mail.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(f.mail.CAPEM)
	db := openStoreIn(t, dir)
	n := newMailNotifier(t, db, f.mail.Addr, f.mail.User, f.mail.Pass, roots)
	if err := n.CasesArrived(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestNoticeKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), notifyKillDirEnv+"="+dir, notifyKillMailEnv+"="+f.mail.Addr,
		"CLINICGW_NOTIFY_KILL_USER="+f.mail.User, "CLINICGW_NOTIFY_KILL_PASS="+f.mail.Pass)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reached := false
	for lines := bufio.NewScanner(out); lines.Scan(); {
		reached = reached || lines.Text() == "fault dequeue"
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child ended with %v, want SIGKILL", err)
	}
	if !reached {
		t.Fatal("the child never reached the dequeue: the fault was not tried")
	}
	if got := len(f.mail.Messages()); got != 1 {
		t.Fatalf("before the restart the server holds %d messages, want the 1 sent before the kill", got)
	}

	// The gateway starts again: the notice is still queued and goes again.
	db = openStoreIn(t, dir)
	defer db.Close()
	n = newMailNotifier(t, db, f.mail.Addr, f.mail.User, f.mail.Pass, roots)
	if p, err := n.Pending(context.Background()); err != nil || len(p) != 1 {
		t.Fatalf("after the kill %d notices queued (%v), want the one sent but not dequeued", len(p), err)
	}
	if sent, err := n.Deliver(context.Background()); err != nil || sent != 1 {
		t.Fatalf("deliver after the restart: %d, %v", sent, err)
	}
	if p, _ := n.Pending(context.Background()); len(p) != 0 {
		t.Errorf("%d notices still queued", len(p))
	}
	msgs := f.mail.Messages()
	var ids []string
	for _, m := range msgs {
		if len(m.To) == 1 && m.To[0] == unitEmail {
			ids = append(ids, headerOf(t, m.Data, "Message-ID"))
		}
	}
	if len(ids) != 2 || ids[0] != ids[1] || ids[0] == "" {
		t.Errorf("the unit got %d e-mails with Message-IDs %q, want the notice twice under one Message-ID (a duplicate, never a loss)", len(ids), ids)
	}
}

func headerOf(t *testing.T, data, name string) string {
	t.Helper()
	_, _, h := readMail(t, data)
	return h.Get(name)
}
