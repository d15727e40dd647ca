package notes

import (
	"context"

	notesv1 "example.com/notebook/gen/notebook/notes/v1"
)

// ListNotes implements the ListNotes RPC.
//
// The default:
//   - It returns every Note with the same pinned as the request, oldest first.
func (s *Service) ListNotes(ctx context.Context, req *notesv1.ListNotesRequest) (*notesv1.ListNotesResponse, error) {
	found, err := s.store.FindNotesByPinned(ctx, req.GetPinned())
	if err != nil {
		return nil, s.fail(ctx, "list_notes", err)
	}
	// Filter, sort or page the result here.
	return &notesv1.ListNotesResponse{Notes: found}, nil
}
