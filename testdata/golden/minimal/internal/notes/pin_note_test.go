package notes

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	notesv1 "example.com/notebook/gen/notebook/notes/v1"
)

func TestPinNote(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedNote(t, s)
	newRequest := func() *notesv1.PinNoteRequest {
		return &notesv1.PinNoteRequest{
			NoteId: "note_id-1",
			Pinned: true,
		}
	}
	req := newRequest()
	req.NoteId = seeded.GetId()
	resp, err := s.PinNote(ctx, req)
	if err != nil {
		t.Fatalf("PinNote: %v", err)
	}
	got, err := s.Store().GetNote(ctx, resp.GetNote().GetId())
	if err != nil {
		t.Fatalf("stored note: %v", err)
	}
	if got.GetId() != seeded.GetId() {
		t.Errorf("changed note %q, want the existing %q", got.GetId(), seeded.GetId())
	}
	if got.GetPinned() != req.GetPinned() {
		t.Errorf("GetPinned() = %v, want the request's %v", got.GetPinned(), req.GetPinned())
	}
	if got, want := recordedEvents(t, s), []string{}; !slices.Equal(got, want) {
		t.Errorf("recorded events %v, want %v", got, want)
	}

	t.Run("not found", func(t *testing.T) {
		req := newRequest()
		req.NoteId = "missing-id"
		_, err := s.PinNote(ctx, req)
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.NoteId = ""
		_, err := s.PinNote(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
