package local_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"connectrpc.com/connect"
	notesv1 "example.com/notebook/gen/notebook/notes/v1"
	"example.com/notebook/gen/notebook/notes/v1/notesv1connect"
	"example.com/notebook/internal/local"
	"example.com/notebook/internal/platform/client"
	"example.com/notebook/internal/platform/logging"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// This file is yours: microforge wrote an end-to-end test that boots the
// whole system in-process and calls every service over its real API. Add
// scenarios that cross services here.

// testOptions runs the system on free ports with its data in a temporary
// directory; TEST_NATS_URL selects a NATS server with JetStream
// instead of the embedded one.
func testOptions(t *testing.T) local.Options {
	return local.Options{DataDir: t.TempDir(), Ephemeral: true, Logger: logging.Discard(), NATSURL: os.Getenv("TEST_NATS_URL")}
}

// clientOf returns a client calling service as the service itself, which
// may call every one of its methods.
func clientOf(sys *local.System, service string) *http.Client {
	c := sys.Client(service, service)
	return c
}

func TestSystem(t *testing.T) {
	sys, err := local.Start(t.Context(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Error(err)
		}
	})
	// Health and readiness need no service token.
	httpClient := client.New(nil, "")

	t.Run("health", func(t *testing.T) {
		for _, svc := range local.Services {
			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := httpClient.Get(sys.URL(svc.Name) + path)
				if err != nil {
					t.Fatalf("%s %s: %v", svc.Name, path, err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s %s: %s", svc.Name, path, resp.Status)
				}
			}
		}
	})
	// Each service is called as itself, a caller every service accepts for
	// all of its methods (internal/local/identity_test.go checks the others).
	t.Run("notes", func(t *testing.T) {
		testNotes(t, clientOf(sys, "notes"), sys.URL("notes"))
	})
}

// testNotes calls the notes service with the Connect protocol and JSON,
// gRPC, gRPC-Web, over one port.
func testNotes(t *testing.T, httpClient *http.Client, url string) {
	ctx := t.Context()
	connectJSON := notesv1connect.NewNotesServiceClient(httpClient, url, connect.WithProtoJSON())
	grpc := notesv1connect.NewNotesServiceClient(httpClient, url, connect.WithGRPC())
	grpcWeb := notesv1connect.NewNotesServiceClient(httpClient, url, connect.WithGRPCWeb())

	createResp, err := connectJSON.CreateNote(ctx, &notesv1.CreateNoteRequest{
		Title:     "title-notes",
		Body:      "body-notes",
		WrittenAt: timestamppb.New(time.Date(2024, time.January, 2, 3, 4, 5, 0, time.UTC)),
	})
	if err != nil {
		t.Fatalf("CreateNote: %v", err)
	}
	created := createResp.GetNote()
	if created.GetId() == "" {
		t.Fatalf("CreateNote returned no id: %v", createResp)
	}

	{
		resp, err := grpc.GetNote(ctx, &notesv1.GetNoteRequest{
			NoteId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetNote: %v", err)
		}
		got := resp.GetNote()
		if got.GetId() != created.GetId() {
			t.Errorf("GetNote returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetVisibility() != notesv1.NoteVisibility_NOTE_VISIBILITY_PRIVATE {
			t.Errorf("GetVisibility() = %v, want %v", got.GetVisibility(), notesv1.NoteVisibility_NOTE_VISIBILITY_PRIVATE)
		}
	}

	{
		resp, err := grpc.ListNotes(ctx, &notesv1.ListNotesRequest{
			Pinned: created.GetPinned(),
		})
		if err != nil {
			t.Fatalf("ListNotes: %v", err)
		}
		found := false
		for _, x := range resp.GetNotes() {
			found = found || x.GetId() == created.GetId()
		}
		if !found {
			t.Errorf("ListNotes = %v, want it to contain %s", resp.GetNotes(), created.GetId())
		}
	}

	if _, err := grpcWeb.PublishNote(ctx, &notesv1.PublishNoteRequest{
		NoteId: created.GetId(),
	}); err != nil {
		t.Fatalf("PublishNote: %v", err)
	}

	{
		resp, err := grpc.GetNote(ctx, &notesv1.GetNoteRequest{
			NoteId: created.GetId(),
		})
		if err != nil {
			t.Fatalf("GetNote: %v", err)
		}
		got := resp.GetNote()
		if got.GetId() != created.GetId() {
			t.Errorf("GetNote returned %q, want %q", got.GetId(), created.GetId())
		}
		if got.GetVisibility() != notesv1.NoteVisibility_NOTE_VISIBILITY_PUBLISHED {
			t.Errorf("GetVisibility() = %v, want %v", got.GetVisibility(), notesv1.NoteVisibility_NOTE_VISIBILITY_PUBLISHED)
		}
	}
}
