package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/cardauth/token/softhsm"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// rewrapStore makes a central store in dir with a case of each of n
// patients (a data key each) and returns the cases by patient.
func rewrapStore(t *testing.T, dir string, n int) map[string]string {
	t.Helper()
	st, err := central.Open(context.Background(), filepath.Join(dir, "central.db"), central.Options{Units: []string{demoUnit}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]string{}
	for i := range n {
		pnr := string(personnummer.Synthetic(time.Date(1940+i%60, time.Month(1+i%12), 1+i/60%28, 0, 0, 0, 0, time.UTC), 980+i%20))
		id, err := st.Submit(context.Background(), demoUnit, central.Submission{PatientPNR: pnr, PatientName: "Test Testsson",
			FormID: string(casetype.AdviceNurse), Fields: []wire.Field{{Name: "question", Value: "Ont"}}, Text: "Kanarietext " + pnr})
		if err != nil {
			t.Fatal(err)
		}
		out[pnr] = id
	}
	return out
}

// checkRewrapStore opens the store with the first of keks that opens it
// and checks that every patient's case opens.
func checkRewrapStore(t *testing.T, dir string, cases map[string]string, keks ...central.Options) {
	t.Helper()
	var errs []string
	for _, o := range keks {
		o.Units = []string{demoUnit}
		st, err := central.Open(context.Background(), filepath.Join(dir, "central.db"), o)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		defer st.Close()
		for pnr, id := range cases {
			if pc, err := st.PatientCase(context.Background(), pnr, id); err != nil || pc.Text != "Kanarietext "+pnr {
				t.Fatalf("case %s: %q %v", id, pc.Text, err)
			}
		}
		return
	}
	t.Fatalf("the store opens with neither key-encryption key: %s", strings.Join(errs, "; "))
}

// killRewraps starts `clinicgw central-keys rewrap args` in a child
// process rounds times, each killed (SIGKILL) after a random moment
// within about one whole run, checking after each that the store opens
// with the old or the new KEK with every case; then runs it to its end.
func killRewraps(t *testing.T, rounds int, rng *rand.Rand, dir string, cases map[string]string, tokens *softhsm.TokenFiles, args []string, keks ...central.Options) string {
	t.Helper()
	raw, _ := json.Marshal(append([]string{"central-keys", "rewrap"}, args...))
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestClinicgwChild$")
		cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw))
		return cmd
	}
	// A whole run of a first step (opening the keys: `list`), timed to
	// place the kills (not asserted).
	start := time.Now()
	list := []string{"central-keys", "list"}
	for _, a := range args {
		if strings.HasPrefix(a, "--new-") {
			break
		}
		list = append(list, a)
	}
	clinicgwChild(t, list...)
	whole := 3 * time.Since(start)
	killed := 0
	for range rounds {
		cmd := child()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(whole) + 1)))
		if err := cmd.Process.Kill(); err == nil {
			killed++
		}
		cmd.Wait()
		if tokens != nil {
			if n := tokens.MendTorn(); n > 0 {
				t.Logf("the kill tore SoftHSM2's own token file (rewritten at login); put back %d", n)
			}
		}
		checkRewrapStore(t, dir, cases, keks...)
	}
	code, stdout, stderr := clinicgwChild(t, append([]string{"central-keys", "rewrap"}, args...)...)
	if code != exitOK {
		t.Fatalf("the rewrap run to its end: exit %d: %s", code, stderr)
	}
	t.Logf("%d of %d runs killed before their end", killed, rounds)
	return stdout
}

// TestCentralKEKRewrapKilled: `clinicgw central-keys rewrap` killed
// (SIGKILL) at random moments — the KEK file rotated in place, then the
// ring moved to an AES key on a SoftHSM2 token, then to another key of
// the token: after every kill the store opens with the old or the new
// KEK with every patient's case, the command run again completes, it
// shows its progress, and the old key is retired only at the end (the
// old file gone; the old token key named for deletion).
func TestCentralKEKRewrapKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 22))
	dir := filepath.Join(t.TempDir(), "central")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cases := rewrapStore(t, dir, 200)
	kekPath := filepath.Join(dir, "central.db.kek")
	before, err := os.ReadFile(kekPath)
	if err != nil {
		t.Fatal(err)
	}

	out := killRewraps(t, 6, rng, dir, cases, nil, []string{"--dir", dir}, central.Options{})
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) < 3 || !strings.HasPrefix(lines[0], "rewrapped ") || !strings.HasPrefix(lines[len(lines)-2], "rewrapped 203 of 203 keys") {
		t.Errorf("no progress shown: %s", out)
	}
	after, err := os.ReadFile(kekPath)
	if err != nil || string(after) == string(before) {
		t.Fatalf("the key file after the rotation in place: %v, unchanged %v", err, string(after) == string(before))
	}
	if _, err := os.Stat(kekPath + ".new"); !os.IsNotExist(err) {
		t.Errorf("a .new key file is left: %v", err)
	}
	checkRewrapStore(t, dir, cases, central.Options{})

	// To the token.
	h := softhsm.New(t)
	t.Setenv(softhsm.ChildConfEnv, h.ConfPath()) // the child processes see the test's tokens
	tk := h.InitToken("central-rewrap", "87654321", "123456")
	tk.GenerateAESKey("kek-1", 256)
	tk.GenerateAESKey("kek-2", 256)
	pin := filepath.Join(t.TempDir(), "token.pin")
	if err := os.WriteFile(pin, []byte(tk.UserPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &agent.Config{}
	cfg.Store.Token = agent.TokenKEKConfig{Module: h.Module(), TokenLabel: "central-rewrap", KeyLabel: "kek-1", PINFile: pin}
	keks, release, err := agent.OpenKEKs(context.Background(), cfg, nil, "kek-2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release() })
	k1, k2 := keks[0], keks[1]
	out = killRewraps(t, 6, rng, dir, cases, h.SaveTokenFiles(), []string{"--dir", dir, "--new-token-module", h.Module(), "--new-token-label", "central-rewrap", "--new-token-key-label", "kek-1", "--new-token-pin-file", pin},
		central.Options{}, central.Options{KEK: k1})
	if _, err := os.Stat(kekPath); !os.IsNotExist(err) {
		t.Errorf("the old key file is still there once the ring is on the token: %v", err)
	}
	if !strings.Contains(out, "--token-key-label kek-1") {
		t.Errorf("the command does not say how to start the store: %s", out)
	}
	checkRewrapStore(t, dir, cases, central.Options{KEK: k1})

	// From one token key to another.
	code, out, stderr := clinicgwChild(t, "central-keys", "rewrap", "--dir", dir, "--token-module", h.Module(), "--token-label", "central-rewrap", "--token-key-label", "kek-1", "--token-pin-file", pin, "--new-token-key-label", "kek-2")
	if code != exitOK {
		t.Fatalf("token to token: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, `the old key "kek-1"`) {
		t.Errorf("the old token key is not named for deletion: %s", out)
	}
	checkRewrapStore(t, dir, cases, central.Options{KEK: k2})
	if code, _, stderr := clinicgwChild(t, "central-keys", "list", "--dir", dir, "--token-module", h.Module(), "--token-label", "central-rewrap", "--token-key-label", "kek-1", "--token-pin-file", pin); code == exitOK || !strings.Contains(stderr, "kek-2") {
		t.Errorf("the keys opened with the old token key: exit %d: %s", code, stderr)
	}
}
