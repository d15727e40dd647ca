package service_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microforge/microforge/generators/gateway"
	"github.com/microforge/microforge/generators/proto"
	"github.com/microforge/microforge/generators/service"
	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
)

// writeRepo generates the service, gateway and proto (with Go code) files
// of a shipped blueprint into a new temporary directory and returns it.
func writeRepo(t *testing.T, name string, sys *model.System) string {
	t.Helper()
	svcFiles, err := service.Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	protoFiles, err := proto.Generate(sys, proto.Options{Go: true})
	if err != nil {
		t.Fatal(err)
	}
	gatewayFiles, err := gateway.Generate(sys)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if keep := os.Getenv("MICROFORGE_KEEP"); keep != "" {
		dir = filepath.Join(keep, name)
		os.RemoveAll(dir)
	}
	set := &files.Set{}
	if err := set.Add(append(append(svcFiles, protoFiles...), gatewayFiles...)...); err != nil {
		t.Fatal(err)
	}
	for _, f := range set.Files() {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goCmd runs the go command in dir with the user's caches and no network
// step besides module downloads; go.mod and go.sum must be complete.
func goCmd(t *testing.T, ctx context.Context, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = goEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func goEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off", "CGO_ENABLED=0")
}

// freePorts returns n ports nobody listens on right now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// TestLocalShopCurl runs cmd/local of the shop on its configured ports
// and calls it the way the README tells users to with curl: Connect
// protocol, JSON over HTTP/1.1, with a service token from cmd/keys -sign.
func TestLocalShopCurl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a generated repository")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sys := load(t, "shop")
	ports := freePorts(t, len(sys.Services)+1)
	for i := range sys.Services {
		sys.Services[i].Port = ports[i]
	}
	sys.Gateway.Port = ports[len(sys.Services)]
	dir := writeRepo(t, "shop-local", sys)
	bin, tokenBin := filepath.Join(t.TempDir(), "local"), filepath.Join(t.TempDir(), "token")
	goCmd(t, ctx, dir, "build", "-o", bin, "./cmd/local")
	goCmd(t, ctx, dir, "build", "-o", tokenBin, "./cmd/token")
	dataDir := t.TempDir()
	keysBin := filepath.Join(t.TempDir(), "keys")
	goCmd(t, ctx, dir, "build", "-o", keysBin, "./cmd/keys")

	// As the README says: keys in the environment (go run ./cmd/keys -format
	// env > .env, loaded into the shell), then cmd/local, then curl with a
	// token from go run ./cmd/keys -sign.
	envOut, err := exec.CommandContext(ctx, keysBin, "-format", "env").Output()
	if err != nil {
		t.Fatalf("cmd/keys -format env: %v", err)
	}
	env := os.Environ()
	for _, line := range strings.Split(string(envOut), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			env = append(env, line)
		}
	}
	cmd := exec.CommandContext(ctx, bin, "-data", dataDir)
	cmd.Dir = dir
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	urls := map[string]string{}
	lines := bufio.NewScanner(stdout)
	for len(urls) < len(sys.Services)+1 && lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) >= 2 && strings.HasPrefix(fields[1], "http://") {
			urls[fields[0]] = fields[1]
		}
	}
	go io.Copy(io.Discard, stdout)
	for _, svc := range sys.Services {
		want := fmt.Sprintf("http://127.0.0.1:%d", svc.Port)
		if urls[svc.Name] != want {
			t.Fatalf("cmd/local printed %q for %s, want %q\nstderr:\n%s", urls[svc.Name], svc.Name, want, stderr.String())
		}
	}

	post := func(procedure, body string, header ...string) map[string]any {
		t.Helper()
		sign := exec.CommandContext(ctx, keysBin, "-sign", "orders")
		sign.Env = env
		token, err := sign.Output()
		if err != nil {
			t.Fatalf("cmd/keys -sign orders: %v", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, urls["orders"]+procedure, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Service-Token", strings.TrimSpace(string(token)))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s %s: %s\n%s", procedure, body, resp.Status, b)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("POST %s: %v\n%s", procedure, err, b)
		}
		return out
	}
	placed := post("/shop.orders.v1.OrdersService/PlaceOrder",
		`{"customerId": "c-1", "items": [{"sku": "sku-1", "quantity": 2, "priceCents": 250}]}`)
	order, _ := placed["order"].(map[string]any)
	id, _ := order["id"].(string)
	if id == "" {
		t.Fatalf("PlaceOrder returned %v", placed)
	}
	// orders is CQRS: as the README says, the query waits for its read
	// model to hold every event so far. The checkout saga may have
	// confirmed the order by then.
	got := post("/shop.orders.v1.OrdersService/GetOrder", `{"orderId": "`+id+`"}`, "Min-Event-Position", "head")
	order, _ = got["order"].(map[string]any)
	if status := order["status"]; order["id"] != id || (status != "ORDER_STATUS_PENDING" && status != "ORDER_STATUS_CONFIRMED") || order["customerId"] != "c-1" {
		t.Errorf("GetOrder returned %v", got)
	}

	// The saga state, as the README shows: orders' own endpoint, called
	// with its service token; without one it is refused.
	sign := exec.CommandContext(ctx, keysBin, "-sign", "orders")
	sign.Env = env
	serviceToken, err := sign.Output()
	if err != nil {
		t.Fatalf("cmd/keys -sign orders: %v", err)
	}
	getSagas := func(token string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, urls["orders"]+"/sagas", nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("X-Service-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := getSagas(""); code != http.StatusUnauthorized {
		t.Errorf("GET /sagas without a token: %d %s, want 401", code, body)
	}
	// The saga starts when its trigger event arrives: wait for it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := getSagas(strings.TrimSpace(string(serviceToken)))
		if code == http.StatusOK && strings.Contains(body, id) {
			break
		}
		if code != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("GET /sagas with orders' token: %d %s, want 200 listing the saga of %s", code, body, id)
		}
	}

	// Through the gateway, as the README shows: a token from cmd/token
	// (signed with the key under the same data directory) lets a customer
	// place an order; without one the gateway answers 401.
	if want := fmt.Sprintf("http://127.0.0.1:%d", sys.Gateway.Port); urls["gateway"] != want {
		t.Fatalf("cmd/local printed gateway %q, want %q", urls["gateway"], want)
	}
	tokenCmd := exec.CommandContext(ctx, tokenBin, "--sub", "alice", "--roles", "customer", "--data", dataDir)
	token, err := tokenCmd.Output()
	if err != nil {
		t.Fatalf("cmd/token: %v", err)
	}
	viaGateway := func(bearer string) int {
		req, _ := http.NewRequest(http.MethodPost, urls["gateway"]+"/v1/orders/place_order",
			strings.NewReader(`{"customerId": "alice", "items": [{"sku": "sku-1", "quantity": 1, "priceCents": 100}]}`))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := viaGateway(""); got != http.StatusUnauthorized {
		t.Errorf("PlaceOrder through the gateway without a token: %d, want 401", got)
	}
	if got := viaGateway(strings.TrimSpace(string(token))); got != http.StatusOK {
		t.Errorf("PlaceOrder through the gateway with a customer token: %d, want 200", got)
	}
	if info, err := os.Stat(filepath.Join(dataDir, "dev-jwt", "key.pem")); err != nil {
		t.Error(err)
	} else if info.Mode().Perm() != 0o600 {
		t.Errorf("development key mode %v, want 0600", info.Mode().Perm())
	}

	// Ctrl-C shuts everything down gracefully.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("cmd/local after SIGINT: %v\nstderr:\n%s", err, stderr.String())
	}
}
