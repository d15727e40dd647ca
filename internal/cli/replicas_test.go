package cli

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// replicasLoad is how long TestReplicasOnRealServers loads the system:
// MICROFORGE_REPLICAS_LOAD (a Go duration) or 60s.
func replicasLoad(t *testing.T) time.Duration {
	if v := os.Getenv("MICROFORGE_REPLICAS_LOAD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("MICROFORGE_REPLICAS_LOAD=%q: %v", v, err)
		}
		return d
	}
	return 60 * time.Second
}

// TestReplicasOnRealServers runs the generated shop as Kubernetes runs it,
// on one machine: three replicas of every service (cmd/local -replicas 3),
// orders and payments on PostgreSQL, inventory on MariaDB, the events on a
// three-node JetStream cluster built from nats-server's module, with the
// stream replicated three times. cmd/load places orders for a minute; a
// quarter in, one replica of each service and one NATS node are killed with
// SIGKILL. Then:
//   - every order the system accepted reaches a terminal state (cmd/load
//     exits 0);
//   - every saga ended, and its log shows each step's call completed at
//     most once (exactly once for a completed saga), and never a call after
//     a compensation began (no saga moved backwards);
//   - every outbox row of every service is published;
//   - no consumer applied an event twice: while the load runs, an admin
//     cancels confirmed orders through the gateway, and inventory's
//     consumer of OrderCancelled (on its ordered durable consumer) applied
//     each one exactly once, which shows in the StockReleased events it
//     recorded;
//   - the orders read model equals what a rebuild from the event store
//     makes of it.
func TestReplicasOnRealServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three replicas of every service on PostgreSQL, MariaDB and a NATS cluster")
	}
	pgURL := startPostgres(t)
	mysqlURL := startMariaDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	dir := repoFrom(t, "shop", readFile(t, filepath.Join("..", "..", "blueprints"), "shop.yaml"))
	bins := buildBins(t, ctx, dir, "replicas", "./cmd/local", "./cmd/load", "./cmd/orders", "./cmd/keys", "./cmd/token")
	env := append(createDatabases(t, pgURL, "orders", "payments"), createDatabases(t, mysqlURL, "inventory")...)
	dbURL := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		dbURL[strings.ToLower(strings.TrimSuffix(k, "_DATABASE_URL"))] = v
	}
	nats := startNATSCluster(t, ctx, dir, 3)
	env = append(env, "NATS_URL="+nats.urls(), "NATS_STREAM_REPLICAS=3")
	data := t.TempDir()
	sys := startLocalArgs(t, ctx, bins["local"], data, env, "-replicas", "3", "-log-level", "warn")

	token, err := exec.CommandContext(ctx, bins["token"], "--sub", "root", "--roles", "admin", "--data", data).Output()
	if err != nil {
		t.Fatalf("cmd/token: %v", err)
	}

	duration := replicasLoad(t)
	out := &syncBuffer{}
	loadCmd := exec.CommandContext(ctx, bins["load"], "-gateway", sys.url("gateway"), "-data", data,
		"-flows", "checkout", "-duration", duration.String(), "-concurrency", "16", "-settle", "3m")
	loadCmd.Stdout, loadCmd.Stderr = out, out
	if err := loadCmd.Start(); err != nil {
		t.Fatal(err)
	}
	cancelled := make(chan cancelResult, 1)
	go func() {
		cancelled <- cancelOrders(ctx, dbURL["orders"], sys.url("gateway"), strings.TrimSpace(string(token)), time.Now().Add(duration*3/4))
	}()
	time.Sleep(duration / 4)
	killed := map[string]int{}
	for _, svc := range []string{"orders", "payments", "inventory"} {
		pid := replicaPID(t, sys.cmd.Process.Pid, svc)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill %s replica %d: %v", svc, pid, err)
		}
		killed[svc] = pid
	}
	nats.kill(t, 2)
	t.Logf("after %s: killed replicas %v and NATS node 3", duration/4, killed)
	loadErr := loadCmd.Wait()
	cancels := <-cancelled
	t.Logf("an admin cancelled %d confirmed orders during the load (%d refused: %v)", cancels.done, cancels.refused, cancels.errs)
	if cancels.done == 0 {
		t.Errorf("no order could be cancelled during the load: %v", cancels.errs)
	}
	report := out.String()
	t.Logf("cmd/load:\n%s", report)
	if loadErr != nil {
		t.Errorf("cmd/load: %v (not every accepted order reached a terminal state?)\ncmd/local logs:\n%s", loadErr, tail(sys.log.String(), 100))
	}
	m := regexp.MustCompile(`(?m)^orders\.PlaceOrder +(\d+) +(\d+) `).FindStringSubmatch(report)
	if m == nil || m[2] == "0" {
		t.Fatalf("no accepted PlaceOrder in the report")
	}
	accepted, _ := strconv.Atoi(m[2])

	orders := openDB(t, dbURL["orders"])
	if loadErr != nil {
		// Where the unsettled orders stand.
		for _, q := range []string{
			"SELECT 'orders ' || status, COUNT(*) FROM orders GROUP BY status",
			"SELECT 'sagas ' || status || ' step ' || step || ' attempts ' || attempts || ' held ' || (lease_owner IS NOT NULL)::text, COUNT(*) FROM sagas GROUP BY 1",
			"SELECT 'outbox unpublished ' || event_type, COUNT(*) FROM outbox WHERE published_at IS NULL GROUP BY event_type",
			"SELECT 'lease ' || name || ' ' || owner || ' until ' || expires_at::text, token FROM leases",
			"SELECT 'processed ' || consumer, COUNT(*) FROM processed_events GROUP BY consumer",
		} {
			rows, err := orders.Query(q)
			if err != nil {
				t.Logf("%s: %v", q, err)
				continue
			}
			for rows.Next() {
				var what string
				var n int64
				if err := rows.Scan(&what, &n); err == nil {
					t.Logf("orders db: %s: %d", what, n)
				}
			}
			rows.Close()
		}
		var errs []string
		rows, err := orders.Query("SELECT DISTINCT COALESCE(last_error, '') FROM sagas WHERE status NOT IN ('completed', 'failed') LIMIT 5")
		if err == nil {
			for rows.Next() {
				var e string
				_ = rows.Scan(&e)
				errs = append(errs, e)
			}
			rows.Close()
		}
		t.Fatalf("unsettled sagas' last errors: %q", errs)
	}
	checkSagas(t, orders, accepted)
	for name, url := range dbURL {
		db := openDB(t, url)
		eventually(t, time.Minute, name+"'s outbox is published", func() string {
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").Scan(&n); err != nil {
				return err.Error()
			}
			if n > 0 {
				return fmt.Sprintf("%d rows of %s's outbox unpublished", n, name)
			}
			return ""
		})
	}

	checkConsumedOnce(t, orders, openDB(t, dbURL["inventory"]))

	// The read model against a rebuild, with the system stopped.
	sys.stop()
	before := dumpOrders(t, orders)
	keys := exec.CommandContext(ctx, bins["keys"], "-format", "env")
	keyEnv, err := keys.Output()
	if err != nil {
		t.Fatalf("cmd/keys: %v", err)
	}
	rebuild := exec.CommandContext(ctx, bins["orders"], "-rebuild-read-models")
	rebuild.Env = append(append(os.Environ(), "DATABASE_URL="+dbURL["orders"], "NATS_URL="+nats.urls()), envLines(string(keyEnv), "ORDERS_")...)
	if out, err := rebuild.CombinedOutput(); err != nil {
		t.Fatalf("orders -rebuild-read-models: %v\n%s", err, out)
	}
	if after := dumpOrders(t, orders); !slices.Equal(before, after) {
		t.Errorf("the orders read model (%d rows) differs from its rebuild (%d rows)", len(before), len(after))
		for i := range min(len(before), len(after)) {
			if before[i] != after[i] {
				t.Errorf("first difference:\n  live:    %s\n  rebuilt: %s", before[i], after[i])
				break
			}
		}
	}
}

// checkSagas checks that every saga ended, at least accepted of them, each
// step's call completed at most once (once for a completed saga) and no
// call after a compensation or the on_failure call.
func checkSagas(t *testing.T, db *sql.DB, accepted int) {
	t.Helper()
	rows, err := db.Query("SELECT status, COUNT(*) FROM sagas GROUP BY status")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			t.Fatal(err)
		}
		total += n
		if status != "completed" && status != "failed" {
			t.Errorf("%d sagas are %s, not ended", n, status)
		}
	}
	rows.Close()
	if total < accepted {
		t.Errorf("%d sagas for %d accepted orders", total, accepted)
	}
	var orders, twice int
	if err := db.QueryRow("SELECT COUNT(*) FROM orders").Scan(&orders); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM (SELECT subject FROM sagas GROUP BY subject HAVING COUNT(*) > 1) t").Scan(&twice); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d accepted orders, %d orders stored, %d sagas", accepted, orders, total)
	if twice > 0 {
		t.Errorf("%d orders have more than one checkout saga", twice)
	}
	if orders != total {
		t.Errorf("%d orders stored, %d checkout sagas", orders, total)
	}
	rows, err = db.Query("SELECT s.id, s.status, l.step, l.action, l.outcome FROM saga_log l JOIN sagas s ON s.id = l.saga_id ORDER BY l.saga_id, l.seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type sagaLog struct {
		status    string
		calls     map[string]int
		compensed bool
	}
	logs := map[string]*sagaLog{}
	bad := 0
	for rows.Next() {
		var id, status, step, action, outcome string
		if err := rows.Scan(&id, &status, &step, &action, &outcome); err != nil {
			t.Fatal(err)
		}
		l := logs[id]
		if l == nil {
			l = &sagaLog{status: status, calls: map[string]int{}}
			logs[id] = l
		}
		switch {
		case action == "call" && l.compensed:
			bad++
			if bad <= 5 {
				t.Errorf("saga %s: a call of %s after its compensation began: it moved backwards", id, step)
			}
		case action == "call" && outcome == "done":
			l.calls[step]++
			if l.calls[step] == 2 {
				bad++
				if bad <= 5 {
					t.Errorf("saga %s: the call of step %s completed twice", id, step)
				}
			}
		case action == "compensate" || action == "on_failure":
			l.compensed = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	steps := 0
	for _, l := range logs {
		steps = max(steps, len(l.calls))
	}
	for id, l := range logs {
		if l.status == "completed" && len(l.calls) != steps {
			t.Errorf("saga %s completed with %d of %d step calls done", id, len(l.calls), steps)
		}
	}
	t.Logf("%d sagas checked, %d steps each when completed", len(logs), steps)
}

// dumpOrders returns the rows of the orders read model, ordered by id.
func dumpOrders(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT id, customer_id, COALESCE(items::text, ''), total_cents, status FROM orders ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, customer, items, status string
		var total int64
		if err := rows.Scan(&id, &customer, &items, &total, &status); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %d %s", id, customer, items, total, status))
	}
	return out
}

// openDB opens a PostgreSQL (postgres://) or MySQL (mysql://) database URL
// as cmd/local takes them.
func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", url
	if rest, ok := strings.CutPrefix(url, "mysql://"); ok {
		driver, dsn = "mysql", rest
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// envLines returns the NAME=value lines of cmd/keys -format env whose name
// starts with prefix, with the prefix kept (services read ORDERS_... over
// the unprefixed variable).
func envLines(out, prefix string) []string {
	var env []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "export ")
		if strings.HasPrefix(line, prefix) || strings.Contains(line, "_PUBLIC_KEY=") {
			k, v, ok := strings.Cut(line, "=")
			if ok {
				env = append(env, k+"="+strings.Trim(v, `'"`))
			}
		}
	}
	return env
}

// replicaPID returns the process id of a replica of service that the
// cmd/local with process id parent runs (cmd/local -serve <service>).
func replicaPID(t *testing.T, parent int, service string) int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := strings.LastIndexByte(string(raw), ')')
		fields := strings.Fields(string(raw)[i+1:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(parent) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if j := slices.Index(args, "-serve"); j >= 0 && j+1 < len(args) && args[j+1] == service {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	t.Fatalf("no replica of %s among the processes of cmd/local %d", service, parent)
	return 0
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// natsCluster is a JetStream cluster of nats-server processes on loopback.
type natsCluster struct {
	ports []int
	nodes []*exec.Cmd
	logs  []*syncBuffer
}

func (c *natsCluster) urls() string {
	var u []string
	for _, p := range c.ports {
		u = append(u, "nats://127.0.0.1:"+strconv.Itoa(p))
	}
	return strings.Join(u, ",")
}

// kill kills node i (from 0) with SIGKILL.
func (c *natsCluster) kill(t *testing.T, i int) {
	t.Helper()
	if err := c.nodes[i].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.nodes[i].Wait()
}

// startNATSCluster builds nats-server from the Go module the generated
// repository in dir requires and runs n nodes of one JetStream cluster on
// free loopback ports until the test ends; it returns once the cluster
// elected its JetStream metadata leader.
func startNATSCluster(t *testing.T, ctx context.Context, dir string, n int) *natsCluster {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nats-server")
	goIn(t, ctx, dir, "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	c := &natsCluster{}
	routes := make([]int, n)
	for i := range n {
		c.ports = append(c.ports, free())
		routes[i] = free()
	}
	for i := range n {
		var others []string
		for j, r := range routes {
			if j != i {
				others = append(others, "nats://127.0.0.1:"+strconv.Itoa(r))
			}
		}
		cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(c.ports[i]), "-js", "-sd", t.TempDir(),
			"--server_name", "node-"+strconv.Itoa(i+1), "--cluster_name", "microforge-test",
			"--cluster", "nats://127.0.0.1:"+strconv.Itoa(routes[i]), "--routes", strings.Join(others, ","))
		log := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c.nodes, c.logs = append(c.nodes, cmd), append(c.logs, log)
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	eventually(t, time.Minute, "the NATS cluster elects a JetStream metadata leader", func() string {
		for _, l := range c.logs {
			sc := bufio.NewScanner(strings.NewReader(l.String()))
			for sc.Scan() {
				if strings.Contains(sc.Text(), "metadata leader") {
					return ""
				}
			}
		}
		return "no leader yet:\n" + c.logs[0].String()
	})
	return c
}

// cancelResult is what cancelOrders did.
type cancelResult struct {
	done, refused int
	errs          []string // the first few refusals and failures
}

// cancelOrders cancels confirmed orders through the gateway as an admin,
// ten a second, until deadline: it picks them from the orders database at
// url. A refusal (a replica killed under the call, the gateway's rate
// limit) is counted, not fatal.
func cancelOrders(ctx context.Context, url, gateway, token string, deadline time.Time) cancelResult {
	var r cancelResult
	fail := func(err string) {
		r.refused++
		if len(r.errs) < 5 {
			r.errs = append(r.errs, err)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		fail(err.Error())
		return r
	}
	defer db.Close()
	picked := map[string]bool{} // the read model may not show them cancelled yet
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		id, err := pickOrder(ctx, db, picked)
		if err != nil {
			fail(err.Error())
			continue
		}
		if id == "" {
			continue
		}
		picked[id] = true
		body := strings.NewReader(`{"orderId": "` + id + `", "reason": "changed my mind"}`)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, gateway+"/v1/orders/cancel_order", body)
		if err != nil {
			fail(err.Error())
			continue
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fail(err.Error())
			continue
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fail(fmt.Sprintf("%d %s", resp.StatusCode, msg))
			continue
		}
		r.done++
	}
	return r
}

// pickOrder returns a random confirmed order not in picked, "" for none.
func pickOrder(ctx context.Context, db *sql.DB, picked map[string]bool) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM orders WHERE status = 'confirmed' ORDER BY random() LIMIT 50")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		if !picked[id] {
			return id, nil
		}
	}
	return "", rows.Err()
}

// checkConsumedOnce checks that inventory's consumer of OrderCancelled
// applied every OrderCancelled event the orders service recorded (an
// admin's cancellation, a failed saga's on_failure call), each once. Its
// handler releases the order's stock (ReleaseStock, which records
// StockReleased), as does the checkout saga's compensation of
// reserve_stock: so every order has as many StockReleased events as
// OrderCancelled events and compensations, and one more would be an event
// applied twice.
func checkConsumedOnce(t *testing.T, orders, inventory *sql.DB) {
	t.Helper()
	counts := func(db *sql.DB, query string) map[string]int {
		t.Helper()
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatal(err)
			}
			m[k] += n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	cancelled := counts(orders, "SELECT aggregate_id, COUNT(*) FROM outbox WHERE event_type = 'shop.orders.v1.OrderCancelled' GROUP BY aggregate_id")
	events := 0
	for _, n := range cancelled {
		events += n
	}
	eventually(t, time.Minute, "inventory applies every OrderCancelled event", func() string {
		var n int
		if err := inventory.QueryRow("SELECT COUNT(*) FROM processed_events WHERE consumer = 'inventory_orders_order_cancelled'").Scan(&n); err != nil {
			return err.Error()
		}
		if n != events {
			return fmt.Sprintf("inventory processed %d of %d OrderCancelled events", n, events)
		}
		return ""
	})
	want := maps.Clone(cancelled)
	for order, n := range counts(orders, "SELECT s.subject, COUNT(*) FROM saga_log l JOIN sagas s ON s.id = l.saga_id "+
		"WHERE l.step = 'reserve_stock' AND l.action = 'compensate' AND l.outcome = 'done' GROUP BY s.subject") {
		want[order] += n
	}
	released := counts(inventory, "SELECT aggregate_id, COUNT(*) FROM outbox WHERE event_type = 'shop.inventory.v1.StockReleased' GROUP BY aggregate_id")
	bad := 0
	for _, order := range slices.Sorted(maps.Keys(want)) {
		if released[order] != want[order] {
			bad++
			if bad <= 5 {
				t.Errorf("order %s: %d StockReleased events for %d cancellations and compensations: an event applied %s", order, released[order], want[order], map[bool]string{true: "twice", false: "not at all"}[released[order] > want[order]])
			}
		}
	}
	for order := range released {
		if _, ok := want[order]; !ok {
			t.Errorf("order %s: StockReleased with no cancellation or compensation", order)
		}
	}
	t.Logf("%d OrderCancelled events over %d orders, each applied once by inventory", events, len(cancelled))
}
