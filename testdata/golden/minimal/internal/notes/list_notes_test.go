package notes

import (
	"testing"

	notesv1 "example.com/notebook/gen/notebook/notes/v1"
	"google.golang.org/protobuf/proto"
)

func TestListNotes(t *testing.T) {
	s := newTestService(t)
	ctx := t.Context()
	seeded := seedNote(t, s)
	newRequest := func() *notesv1.ListNotesRequest {
		return &notesv1.ListNotesRequest{
			Pinned: seeded.GetPinned(),
		}
	}
	resp, err := s.ListNotes(ctx, newRequest())
	if err != nil {
		t.Fatalf("ListNotes: %v", err)
	}
	if got := resp.GetNotes(); len(got) != 1 || !proto.Equal(got[0], seeded) {
		t.Errorf("Notes = %v, want [%v]", got, seeded)
	}
}
