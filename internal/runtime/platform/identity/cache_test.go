package identity_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/microforge/microforge/internal/runtime/platform/identity"
)

// A verification Verify remembers holds until the token's exp only: then
// the token is checked in full again, accepted within Leeway and refused
// past it.
func TestCachedVerificationRefusesExpiredToken(t *testing.T) {
	keys, err := identity.GenerateKeys("a", "b")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	b := keys["b"]
	b.SetClock(func() time.Time { return now })
	token, err := keys["a"].Signer().Token("b")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if caller, err := b.Verify(token); err != nil || caller != "a" {
			t.Fatalf("fresh token: %q, %v", caller, err)
		}
	}
	if n := b.CachedTokens(); n != 1 {
		t.Fatalf("%d tokens cached, want 1", n)
	}
	now = now.Add(identity.TokenTTL + identity.Leeway/2)
	if _, err := b.Verify(token); err != nil {
		t.Fatalf("within the leeway after exp: %v", err)
	}
	now = now.Add(identity.Leeway)
	if _, err := b.Verify(token); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Fatalf("past exp and leeway: %v, want token expired", err)
	}
}

// Every verifier has its own cache: a token one audience accepted and
// remembers is still refused by another, and a refused token is never
// remembered.
func TestCachedVerificationKeepsAudience(t *testing.T) {
	keys, err := identity.GenerateKeys("a", "b", "c")
	if err != nil {
		t.Fatal(err)
	}
	token, err := keys["a"].Signer().Token("b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys["b"].Verify(token); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := keys["c"].Verify(token); err == nil {
			t.Fatal("c accepted a token for b")
		}
	}
	if n := keys["c"].CachedTokens(); n != 0 {
		t.Errorf("c remembers %d refused tokens", n)
	}
}

// The call graph is checked on every request, also when the token's
// verification is remembered: a caller allowed one procedure is refused
// another with the same token.
func TestCachedVerificationKeepsPolicy(t *testing.T) {
	s := newTestServer(t)
	rt := s.keys["caller"].Signer().Transport("callee", nil)
	admin := connect.NewClient[emptypb.Empty, emptypb.Empty](&http.Client{Transport: inTenant(rt)}, s.url+adminOp)
	for range 2 {
		if _, err := s.whoAmI(t, rt); err != nil {
			t.Fatal(err)
		}
		_, err := admin.CallUnary(t.Context(), connect.NewRequest(&emptypb.Empty{}))
		wantCode(t, err, connect.CodePermissionDenied)
	}
	if n := s.keys["callee"].CachedTokens(); n != 1 {
		t.Errorf("%d tokens cached, want the caller's one", n)
	}
}

// The cache holds at most its size, dropping expired tokens first.
func TestTokenCacheIsBounded(t *testing.T) {
	now := time.Now()
	c := identity.TokenCache[string]{Size: 8}
	c.Put("old", "x", now.Add(time.Second), now)
	for i := range 100 {
		token := fmt.Sprint("t", i)
		c.Put(token, token, now.Add(time.Hour), now.Add(2*time.Second))
		if n := c.Len(); n > 8 {
			t.Fatalf("after %d tokens: %d cached, more than 8", i+1, n)
		}
		if v, ok := c.Get(token, now.Add(2*time.Second)); !ok || v != token {
			t.Fatalf("token just put: %q, %v", v, ok)
		}
	}
	if _, ok := c.Get("old", now.Add(2*time.Second)); ok {
		t.Error("expired token still cached")
	}
	c.Put("done", "x", now, now)
	if _, ok := c.Get("done", now); ok {
		t.Error("cached a token already expired")
	}

	keys, err := identity.GenerateKeys("a", "b")
	if err != nil {
		t.Fatal(err)
	}
	for range identity.DefaultTokenCacheSize + 1 {
		token, err := keys["a"].Signer().Token("b")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := keys["b"].Verify(token); err != nil {
			t.Fatal(err)
		}
	}
	if n := keys["b"].CachedTokens(); n > identity.DefaultTokenCacheSize {
		t.Errorf("Verify remembers %d tokens, more than %d", n, identity.DefaultTokenCacheSize)
	}
}
