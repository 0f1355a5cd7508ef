package agent_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/cardauth/cardtest"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/softhsm"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// daemon is the package's private pcscd for the local-reader test
// (libpcsclite reads its socket's path once per process).
var daemon *cardtest.PCSCD

func TestMain(m *testing.M) {
	os.Exit(cardtest.Main(&daemon, func() int { return softhsm.Main(m) }))
}

// tokenGateway makes an offline gateway folder whose key-encryption key is
// an AES key on a fresh SoftHSM2 token.
func tokenGateway(t *testing.T, h *softhsm.SoftHSM, label string) (*agent.Config, *softhsm.Token) {
	t.Helper()
	tk := h.InitToken(label, "87654321", "123456")
	tk.GenerateAESKey("clinicgw-kek", 256)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token.pin"), []byte(tk.UserPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := agent.DefaultConfig(unit, unitName)
	cfg.Store.KeyFile = ""
	cfg.Store.Token = agent.TokenKEKConfig{Module: h.Module(), TokenLabel: label, KeyLabel: "clinicgw-kek", PINFile: "token.pin"}
	if err := cfg.Write(filepath.Join(dir, agent.ConfigFileName)); err != nil {
		t.Fatal(err)
	}
	loaded, err := agent.LoadConfig(filepath.Join(dir, agent.ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Store.Token != cfg.Store.Token {
		t.Fatalf("store.token did not round-trip: %+v", loaded.Store.Token)
	}
	return loaded, tk
}

// TestKEKOnToken: the store's key-encryption key is an AES key on a
// PKCS#11 token (SoftHSM2): the gateway creates its store with it, reads
// it again after a restart, and refuses a wrong PIN, a readable PIN file
// and a missing key with the cause named. pkcs11-tool, as an outside
// client, sees the key on the token, not extractable.
func TestKEKOnToken(t *testing.T) {
	h := softhsm.New(t)
	cfg, _ := tokenGateway(t, h, fmt.Sprintf("gw-kek-%d", tokenSeq.Add(1)))
	for round := range 2 {
		a, err := agent.New(cfg, agent.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(t.Context()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if round == 0 {
			if _, err := a.Cases().Receive(t.Context(), cases.Submission{Type: casetype.RenewPrescription,
				Patient: cases.Person{PNR: personnummer.Personnummer(patientPNR), Name: patientName}, Text: caseText, SubmittedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		} else if all, err := a.Cases().List(t.Context(), distributor, cases.Filter{Limit: 10}); err != nil || len(all) != 1 {
			t.Fatalf("after a restart: %d cases, %v", len(all), err)
		}
		if err := a.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg.Path()), agent.DefaultKeyFile)); err == nil {
		t.Error("a key file was made although the token holds the key")
	}

	out, err := exec.Command("pkcs11-tool", "--module", h.Module(), "--token-label", cfg.Store.Token.TokenLabel, "--login", "--pin", "123456", "-O").CombinedOutput()
	if err != nil {
		t.Fatalf("pkcs11-tool: %v\n%s", err, out)
	}
	if s := string(out); !strings.Contains(s, "Secret Key Object; AES") || !strings.Contains(s, "clinicgw-kek") {
		t.Errorf("pkcs11-tool does not list the AES key:\n%s", s)
	}

	// Refusals, each naming the cause.
	pinFile := cfg.CentralFile(cfg.Store.Token.PINFile)
	os.WriteFile(pinFile, []byte("000000\n"), 0o600)
	_, _, err = agent.OpenKEK(t.Context(), cfg, nil)
	var pe *token.PINError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "store.token") {
		t.Errorf("wrong PIN: %v, want a PIN error naming store.token", err)
	}
	os.WriteFile(pinFile, []byte("123456\n"), 0o600)
	os.Chmod(pinFile, 0o644)
	if _, release, err := agent.OpenKEK(t.Context(), cfg, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("readable PIN file: %v", err)
		if release != nil {
			release()
		}
	}
	os.Chmod(pinFile, 0o600)
	other := *cfg
	other.Store.Token.KeyLabel = "no-such-key"
	if _, _, err := agent.OpenKEK(t.Context(), &other, nil); !errors.Is(err, token.ErrNoKey) {
		t.Errorf("missing key: %v", err)
	}
}
