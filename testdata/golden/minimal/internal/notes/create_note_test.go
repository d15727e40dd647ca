package notes

import (
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	notesv1 "example.com/notebook/gen/notebook/notes/v1"
	"example.com/notebook/internal/platform/idempotency"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestCreateNote(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	newRequest := func() *notesv1.CreateNoteRequest {
		return &notesv1.CreateNoteRequest{
			Title:     "title-1",
			Body:      "body-1",
			WrittenAt: timestamppb.New(time.Date(2024, time.January, 2, 3, 4, 5, 0, time.UTC)),
		}
	}
	req := newRequest()
	resp, err := s.CreateNote(ctx, req)
	if err != nil {
		t.Fatalf("CreateNote: %v", err)
	}
	got, err := s.Store().GetNote(ctx, resp.GetNote().GetId())
	if err != nil {
		t.Fatalf("stored note: %v", err)
	}
	if got.GetVisibility() != notesv1.NoteVisibility_NOTE_VISIBILITY_PRIVATE {
		t.Errorf("Visibility = %v, want %v", got.GetVisibility(), notesv1.NoteVisibility_NOTE_VISIBILITY_PRIVATE)
	}
	if got.GetTitle() != req.GetTitle() {
		t.Errorf("GetTitle() = %v, want the request's %v", got.GetTitle(), req.GetTitle())
	}
	if got.GetBody() != req.GetBody() {
		t.Errorf("GetBody() = %v, want the request's %v", got.GetBody(), req.GetBody())
	}
	if got, want := recordedEvents(t, s), []string{"notebook.notes.v1.NoteCreated"}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("same idempotency key", func(t *testing.T) {
		before := len(recordedEvents(t, s))
		keyed := idempotency.WithKey(ctx, "key-1")
		for range 2 {
			if _, err := (idempotentHandler{s}).CreateNote(keyed, req); err != nil {
				t.Fatalf("CreateNote: %v", err)
			}
		}
		if got := len(recordedEvents(t, s)) - before; got != 1 {
			t.Errorf("two calls with one idempotency key recorded %d events, want 1", got)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.Title = ""
		_, err := s.CreateNote(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
