package notes

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	notesv1 "example.com/notebook/gen/notebook/notes/v1"
	"example.com/notebook/internal/platform/idempotency"
)

func TestPublishNote(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedNote(t, s)
	newRequest := func() *notesv1.PublishNoteRequest {
		return &notesv1.PublishNoteRequest{
			NoteId: "note_id-1",
		}
	}
	req := newRequest()
	req.NoteId = seeded.GetId()
	resp, err := s.PublishNote(ctx, req)
	if err != nil {
		t.Fatalf("PublishNote: %v", err)
	}
	got, err := s.Store().GetNote(ctx, resp.GetNote().GetId())
	if err != nil {
		t.Fatalf("stored note: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed note %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetVisibility() != notesv1.NoteVisibility_NOTE_VISIBILITY_PUBLISHED {
		t.Errorf("Visibility = %v, want %v", got.GetVisibility(), notesv1.NoteVisibility_NOTE_VISIBILITY_PUBLISHED)
	}
	if got, want := recordedEvents(t, s), []string{"notebook.notes.v1.NotePublished"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).PublishNote(keyed, req); err != nil {
				t.Fatalf("PublishNote: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("not found", func(t *testing.T) {
		req := newRequest()
		req.NoteId = "missing-id"
		_, err := s.PublishNote(ctx, req)
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.NoteId = ""
		_, err := s.PublishNote(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
