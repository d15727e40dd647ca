package telemetry

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestStatusRecorder(t *testing.T) {
	w := httptest.NewRecorder()
	rec := RecordStatus(w)
	if rec.Status != http.StatusOK {
		t.Errorf("status before WriteHeader: %d, want 200", rec.Status)
	}
	rec.WriteHeader(http.StatusTeapot)
	rec.Flush()
	if rec.Status != http.StatusTeapot || w.Code != http.StatusTeapot || !w.Flushed {
		t.Errorf("recorded %d, sent %d, flushed %v; want 418 both, flushed", rec.Status, w.Code, w.Flushed)
	}
	// http.ResponseController reaches the wrapped writer through Unwrap.
	if rec.Unwrap() != w {
		t.Error("Unwrap is not the wrapped writer")
	}
}
