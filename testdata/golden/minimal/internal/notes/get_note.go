package notes

import (
	"context"

	notesv1 "example.com/notebook/gen/notebook/notes/v1"
)

// GetNote implements the GetNote RPC.
//
// The default:
//   - It checks that note_id is set.
//   - It returns the Note whose id is note_id (NotFound when there is none).
func (s *Service) GetNote(ctx context.Context, req *notesv1.GetNoteRequest) (*notesv1.GetNoteResponse, error) {
	if req.GetNoteId() == "" {
		return nil, invalidArgument("note_id", "must not be empty")
	}
	x, err := s.store.GetNote(ctx, req.GetNoteId())
	if err != nil {
		return nil, s.fail(ctx, "get_note", err)
	}
	// Hide fields the caller may not see, or check access, here.
	return &notesv1.GetNoteResponse{Note: x}, nil
}
