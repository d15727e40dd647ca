package notes

import (
	"context"

	notesv1 "example.com/notebook/gen/notebook/notes/v1"
)

// PinNote implements the PinNote RPC.
//
// The default:
//   - It checks that note_id is set.
//   - It loads the Note whose id is note_id (NotFound when there is none) and changes it.
func (s *Service) PinNote(ctx context.Context, req *notesv1.PinNoteRequest) (*notesv1.PinNoteResponse, error) {
	if req.GetNoteId() == "" {
		return nil, invalidArgument("note_id", "must not be empty")
	}
	// Business rules that need no stored state go here.

	var note *notesv1.Note
	err := s.store.InTx(ctx, func(tx *Tx) error {
		var err error
		note, err = tx.GetNote(ctx, req.GetNoteId())
		if err != nil {
			return err
		}
		// Check that the change is allowed here, e.g. by the current state,
		// and return connect.NewError(connect.CodeFailedPrecondition, ...) if not.
		note.Pinned = req.GetPinned()
		if err := tx.UpdateNote(ctx, note); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "pin_note", err)
	}
	return &notesv1.PinNoteResponse{Note: note}, nil
}
