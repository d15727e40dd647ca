package telemetry

import "net/http"

// StatusRecorder is an http.ResponseWriter that remembers the status code
// of the response while passing everything else, flushes included, to the
// ResponseWriter it wraps: what access logs and request metrics report.
type StatusRecorder struct {
	http.ResponseWriter
	// Status is the response's status code: 200 until WriteHeader.
	Status int
}

// RecordStatus returns a StatusRecorder wrapping w.
func RecordStatus(w http.ResponseWriter) *StatusRecorder {
	return &StatusRecorder{ResponseWriter: w, Status: http.StatusOK}
}

// WriteHeader records code and sends it.
func (r *StatusRecorder) WriteHeader(code int) {
	r.Status = code
	r.ResponseWriter.WriteHeader(code)
}

// Flush sends what is buffered, when the wrapped ResponseWriter can.
func (r *StatusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the wrapped ResponseWriter.
func (r *StatusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
