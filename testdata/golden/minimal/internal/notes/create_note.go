package notes

import (
	"context"

	notesv1 "example.com/notebook/gen/notebook/notes/v1"
)

// CreateNote implements the CreateNote RPC.
//
// The default:
//   - It checks that title and body are set.
//   - It creates a new Note with a fresh id from the request.
//   - It records NoteCreated in the outbox, in the same transaction.
func (s *Service) CreateNote(ctx context.Context, req *notesv1.CreateNoteRequest) (*notesv1.CreateNoteResponse, error) {
	if req.GetTitle() == "" {
		return nil, invalidArgument("title", "must not be empty")
	}
	if req.GetBody() == "" {
		return nil, invalidArgument("body", "must not be empty")
	}
	// Business rules that need no stored state go here.

	note := &notesv1.Note{
		Id:         newID(),
		Title:      req.GetTitle(),
		Body:       req.GetBody(),
		WrittenAt:  req.GetWrittenAt(),
		Visibility: notesv1.NoteVisibility_NOTE_VISIBILITY_PRIVATE,
	}
	// Compute derived fields of the new Note here.
	err := s.store.InTx(ctx, func(tx *Tx) error {
		if err := tx.InsertNote(ctx, note); err != nil {
			return err
		}
		if err := tx.RecordNoteCreated(ctx, note.GetId(), &notesv1.NoteCreated{
			NoteId: note.GetId(),
			Title:  note.GetTitle(),
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(ctx, "create_note", err)
	}
	return &notesv1.CreateNoteResponse{Note: note}, nil
}
