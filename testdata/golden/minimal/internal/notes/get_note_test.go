package notes

import (
	"testing"

	"connectrpc.com/connect"
	notesv1 "example.com/notebook/gen/notebook/notes/v1"
	"google.golang.org/protobuf/proto"
)

func TestGetNote(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedNote(t, s)
	newRequest := func() *notesv1.GetNoteRequest {
		return &notesv1.GetNoteRequest{
			NoteId: seeded.GetId(),
		}
	}
	resp, err := s.GetNote(ctx, newRequest())
	if err != nil {
		t.Fatalf("GetNote: %v", err)
	}
	if got := resp.GetNote(); !proto.Equal(got, seeded) {
		t.Errorf("Note = %v, want %v", got, seeded)
	}

	t.Run("not found", func(t *testing.T) {
		empty := newTestService(t)
		_, err := empty.GetNote(ctx, newRequest())
		wantCode(t, err, connect.CodeNotFound)
	})

	t.Run("invalid", func(t *testing.T) {
		req := newRequest()
		req.NoteId = ""
		_, err := s.GetNote(ctx, req)
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}
