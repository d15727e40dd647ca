package identity_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

// SystemKeysFromEnv reads every deployable's identity from one
// environment, as cmd/local does with the lines go run ./cmd/keys prints.
func TestSystemKeysFromEnv(t *testing.T) {
	names := []string{identity.Gateway, "orders"}
	generated, err := identity.GenerateKeys(names...)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, n := range names {
		env[strings.ToUpper(n)+"_"+identity.PrivateKeyEnv] = identity.EncodePrivateKey(generated[n].Private)
		env[identity.PublicKeyEnv(n)] = identity.EncodePublicKey(generated[n].Public[n])
	}
	lookup := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	keys, ok, err := identity.SystemKeysFromEnv(lookup(env), names...)
	if err != nil || !ok {
		t.Fatalf("SystemKeysFromEnv: %v, %v", ok, err)
	}
	token, err := keys[identity.Gateway].Signer().Token("orders")
	if err != nil {
		t.Fatal(err)
	}
	if caller, err := keys["orders"].Verify(token); err != nil || caller != identity.Gateway {
		t.Errorf("orders verifies the gateway's token: %q, %v", caller, err)
	}
	if err := keys["orders"].Validate(); err != nil {
		t.Error(err)
	}

	if _, ok, err := identity.SystemKeysFromEnv(lookup(nil), names...); ok || err != nil {
		t.Errorf("no keys at all: %v, %v; want not ok, no error", ok, err)
	}
	delete(env, "ORDERS_"+identity.PrivateKeyEnv)
	if _, ok, err := identity.SystemKeysFromEnv(lookup(env), names...); !ok || err == nil || !strings.Contains(err.Error(), "orders") {
		t.Errorf("some keys missing: %v, %v; want an error naming orders", ok, err)
	}
}

func TestValidate(t *testing.T) {
	for name, k := range map[string]*identity.Keys{
		"no name":        {Private: make(ed25519.PrivateKey, ed25519.PrivateKeySize)},
		"no private key": {Name: "orders"},
	} {
		if err := k.Validate(); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
}

func TestParseKeys(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := identity.ParsePrivateKey(base64.StdEncoding.EncodeToString(priv)); err != nil || !p.Equal(priv) {
		t.Errorf("64-byte private key: %v", err)
	}
	inconsistent := append(append([]byte{}, priv.Seed()...), make([]byte, ed25519.PublicKeySize)...)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if p, err := identity.ParsePublicKey(publicPEM); err != nil || !p.Equal(pub) {
		t.Errorf("PEM public key: %v", err)
	}
	for name, s := range map[string]string{
		"inconsistent":       base64.StdEncoding.EncodeToString(inconsistent),
		"not base64":         "%%%",
		"a broken PEM block": "-----BEGIN PRIVATE KEY-----\nnope",
		"a public key's PEM": publicPEM,
		"an empty PEM":       string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY"})),
	} {
		if _, err := identity.ParsePrivateKey(s); err == nil {
			t.Errorf("%s parsed as a private key", name)
		}
	}
	for name, s := range map[string]string{
		"too short":          base64.StdEncoding.EncodeToString(pub[:16]),
		"a broken PEM block": "-----BEGIN PUBLIC KEY-----\nnope",
		"an empty PEM":       string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY"})),
	} {
		if _, err := identity.ParsePublicKey(s); err == nil {
			t.Errorf("%s parsed as a public key", name)
		}
	}
}

// WithCaller names a caller as Guard does; a signer names its own.
func TestWithCaller(t *testing.T) {
	if c, ok := identity.Caller(identity.WithCaller(t.Context(), "orders")); !ok || c != "orders" {
		t.Errorf("Caller = %q, %v", c, ok)
	}
	if _, ok := identity.Caller(t.Context()); ok {
		t.Error("a caller without one set")
	}
	keys, err := identity.GenerateKeys("orders")
	if err != nil {
		t.Fatal(err)
	}
	if got := keys["orders"].Signer().Name(); got != "orders" {
		t.Errorf("Signer().Name() = %q", got)
	}
}
