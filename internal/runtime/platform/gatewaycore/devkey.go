package gatewaycore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// DevKeyFile is where the development signing key lives below a data
// directory. Only the local system and cmd/token use it; a deployed gateway
// trusts the keys at JWKS_URL.
const DevKeyFile = "dev-jwt/key.pem"

// DefaultTokenTTL is how long development tokens are valid unless asked.
const DefaultTokenTTL = time.Hour

// DevKey is the development signing key (ECDSA P-256, ES256).
type DevKey struct {
	key        *ecdsa.PrivateKey
	kid        string
	rolesClaim string // the claim Sign puts the roles in unless told
}

// LoadDevKey reads the development key below dataDir, creating it (mode
// 0600) on first use. Its tokens hold the roles in rolesClaim unless their
// Claims name another.
func LoadDevKey(dataDir, rolesClaim string) (*DevKey, error) {
	k, err := loadDevKey(dataDir)
	if err != nil {
		return nil, err
	}
	k.rolesClaim = rolesClaim
	return k, nil
}

func loadDevKey(dataDir string) (*DevKey, error) {
	path := filepath.Join(dataDir, DevKeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createDevKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("development key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("development key %s: not a PEM private key", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("development key %s: %w", path, err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("development key %s: not an ECDSA P-256 key", path)
	}
	return newDevKey(key)
}

func createDevKey(path string) (*DevKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("development key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("development key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("development key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadDevKey(filepath.Dir(filepath.Dir(path))) // created concurrently
	}
	if err != nil {
		return nil, fmt.Errorf("development key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, fmt.Errorf("development key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("development key: %w", err)
	}
	return newDevKey(key)
}

func newDevKey(key *ecdsa.PrivateKey) (*DevKey, error) {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("development key: %w", err)
	}
	sum := sha256.Sum256(der)
	return &DevKey{key: key, kid: "dev-" + base64.RawURLEncoding.EncodeToString(sum[:12])}, nil
}

// JWKS returns the JWK Set of the key's public half.
func (k *DevKey) JWKS() (json.RawMessage, error) {
	jwk, err := jwkset.NewJWKFromKey(&k.key.PublicKey, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.AlgES256, KID: k.kid, USE: jwkset.UseSig},
	})
	if err != nil {
		return nil, fmt.Errorf("development key: %w", err)
	}
	return json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
}

// Sign returns a token with the claims, signed with the key.
func (k *DevKey) Sign(c Claims) (string, error) {
	now := c.IssuedAt
	if now.IsZero() {
		now = time.Now()
	}
	roles := c.Roles
	if roles == nil {
		roles = []string{}
	}
	claimsName := c.RolesClaim
	if claimsName == "" {
		claimsName = k.rolesClaim
	}
	claims := jwt.MapClaims{
		"iss":      c.Issuer,
		"aud":      c.Audience,
		"sub":      c.Subject,
		"iat":      now.Unix(),
		"nbf":      now.Unix(),
		"exp":      now.Add(c.TTL).Unix(),
		claimsName: roles,
	}
	c.addScope(claims)
	for name, value := range c.Extra {
		if _, taken := claims[name]; !taken {
			claims[name] = value
		}
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = k.kid
	return tok.SignedString(k.key)
}
