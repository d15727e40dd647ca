package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboard runs the generated shop's cmd/local and looks at the
// development dashboard it serves, as a new user would: over plain HTTP,
// the overview and the saga page it links show the saga of an order
// (http); in a real browser (headless Chromium driven by chromedp), the
// open overview shows the saga of an order placed meanwhile complete,
// and its page names the instance and the order (browser). Skipped under
// -short; the browser part is skipped without Chromium, unless
// MICROFORGE_REQUIRE_TOOLS=1.
func TestDashboard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a generated system")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir := repoFrom(t, "shop", readFile(t, filepath.Join("..", "..", "blueprints"), "shop.yaml"))
	bins := buildBins(t, ctx, dir, "dashboard", "./cmd/local", "./cmd/token")
	data := t.TempDir()
	// -ephemeral: every port, the dashboard's too, is a free one, so a
	// cmd/local the user runs meanwhile is no obstacle.
	sys := startLocal(t, ctx, bins["local"], data, nil)
	defer sys.stop()
	board := sys.urls["dashboard"]
	if board == "" {
		t.Fatalf("cmd/local printed no dashboard: %v", sys.urls)
	}
	api := newShopAPI(t, ctx, sys.url("gateway"), mintToken(t, ctx, bins["token"], data))

	t.Run("http", func(t *testing.T) {
		o := api.place(placedOrder{sku: "sku-http", quantity: 2, priceCents: 250})
		api.awaitConfirmed(o)
		var row, link string
		eventually(t, 30*time.Second, "the overview shows the order's saga completed", func() string {
			body := httpGet(t, board+"/")
			row = sagaRow(body, o.id)
			if m := regexp.MustCompile(`href="(/sagas/orders/[^"]+)"`).FindStringSubmatch(row); m != nil {
				link = m[1]
			}
			if link == "" || !strings.Contains(row, `data-status="completed"`) {
				return body
			}
			return ""
		})
		for _, step := range []string{"reserve_stock: done", "capture_payment: done", "confirm_order: done"} {
			if !strings.Contains(row, step) {
				t.Errorf("the overview's row lacks %q:\n%s", step, row)
			}
		}
		id := strings.TrimPrefix(link, "/sagas/orders/")
		page := httpGet(t, board+link)
		for _, want := range []string{
			`id="saga-id">` + id + `<`,
			`id="saga-entity">Order <span class="mono">` + o.id + `</span>`,
			`id="saga-status">completed<`,
			`data-step="reserve_stock"`, `data-step="capture_payment"`, `data-step="confirm_order"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the saga's page %s lacks %q:\n%s", link, want, page)
			}
		}
		// Its request is listed with the trace it belongs to, whose page
		// shows the whole saga.
		var traceID string
		for _, row := range strings.Split(httpGet(t, board+"/"), "<tr>") {
			if strings.Contains(row, "<td>orders</td>") && strings.Contains(row, "shop.orders.v1.OrdersService/PlaceOrder") {
				if m := regexp.MustCompile(`href="/traces/([0-9a-f]{32})"`).FindStringSubmatch(row); m != nil {
					traceID = m[1]
					break
				}
			}
		}
		if traceID == "" {
			t.Fatal("the overview lists no PlaceOrder request of orders with its trace")
		}
		trace := httpGet(t, board+"/traces/"+traceID)
		for _, want := range []string{"HTTP POST /v1/orders/place_order", "saga checkout call reserve_stock", "shop.payments.v1.PaymentsService/CapturePayment"} {
			if !strings.Contains(trace, want) {
				t.Errorf("the trace page lacks %q:\n%s", want, trace)
			}
		}
	})

	t.Run("browser", func(t *testing.T) {
		browser := chromium(t)
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(browser),
			chromedp.NoSandbox, // root in CI containers
			chromedp.WindowSize(1400, 1100),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
		defer cancelAlloc()
		tab, cancelTab := chromedp.NewContext(allocCtx)
		defer cancelTab()
		if err := chromedp.Do(tab, chromedp.Navigate(board+"/"), chromedp.WaitVisible(chromedp.CSS("#sagas"))); err != nil {
			t.Fatalf("open the dashboard: %v", err)
		}

		// The page is open; the order is placed through the gateway now,
		// and the page refreshes itself until its saga completed.
		o := api.place(placedOrder{sku: "sku-browser", quantity: 1, priceCents: 990})
		row := fmt.Sprintf(`tr[data-subject=%q][data-status="completed"]`, o.id)
		waitCtx, cancelWait := context.WithTimeout(tab, 60*time.Second)
		defer cancelWait()
		if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(row))); err != nil {
			html, _ := chromedp.Run(tab, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("the page never showed the saga of order %s completed: %v\n%s", o.id, err, html)
		}
		steps, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(row+" ol.steps")))
		if err != nil || !strings.Contains(steps, "confirm_order: done") {
			t.Errorf("the saga's steps on the page: %q (%v)", steps, err)
		}
		out := t.ArtifactDir()
		shoot(t, tab, filepath.Join(out, "dashboard.png"))

		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(row+` a[href^="/sagas/"]`)), chromedp.WaitVisible(chromedp.CSS("#saga-status"))); err != nil {
			t.Fatalf("open the saga's page: %v", err)
		}
		var id, entity, status string
		for sel, v := range map[string]*string{"#saga-id": &id, "#saga-entity": &entity, "#saga-status": &status} {
			if *v, err = chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel))); err != nil {
				t.Fatalf("read %s: %v", sel, err)
			}
		}
		if id == "" || entity != "Order "+o.id || status != "completed" {
			t.Errorf("the saga's page names instance %q, entity %q, status %q; want an id, %q, completed", id, entity, status, "Order "+o.id)
		}
		shoot(t, tab, filepath.Join(out, "saga.png"))
	})
}

// chromium returns the path of a Chromium (or Chrome) to drive, skipping
// the test without one unless MICROFORGE_REQUIRE_TOOLS=1.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("MICROFORGE_REQUIRE_TOOLS") == "1" {
		t.Fatal("Chromium is required (MICROFORGE_REQUIRE_TOOLS=1) but not installed (Debian: apt-get install chromium)")
	}
	t.Skip("no Chromium to drive (Debian: apt-get install chromium)")
	return ""
}

// shoot saves a PNG screenshot of the whole page in path.
func shoot(t *testing.T, tab context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// sagaRow returns the overview's table row of the saga about subject, ""
// when it has none.
func sagaRow(body, subject string) string {
	for _, row := range strings.Split(body, "<tr ")[1:] {
		row, _, _ = strings.Cut(row, "</tr>")
		if strings.Contains(row, `data-subject="`+subject+`"`) {
			return row
		}
	}
	return ""
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	return string(body)
}

// eventually calls check until it returns "" or timeout passes; then it
// fails with what check last returned.
func eventually(t *testing.T, timeout time.Duration, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		last := check()
		if last == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v:\n%s", what, timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
