package app

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/idempotency"
	"github.com/microforge/microforge/internal/runtime/platform/identity"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
)

// NewID returns a new entity or event id: a UUIDv7, so ids sort by creation
// time.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// InvalidArgument is the error for a request field that is not acceptable.
func InvalidArgument(field, problem string) error {
	return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("%s %s", field, problem))
}

// Fail turns an error of a method's logic into the error returned to the
// caller: Connect errors pass unchanged, ErrNotFound becomes NotFound, a
// concurrent change Aborted, and anything else is logged and reported as
// Internal without details.
func Fail(ctx context.Context, logger *slog.Logger, op string, err error) error {
	var connectErr *connect.Error
	switch {
	case errors.As(err, &connectErr):
		return connectErr
	case errors.Is(err, ErrNotFound):
		return connect.NewError(connect.CodeNotFound, err)
	case errors.Is(err, outbox.ErrConcurrentChange):
		return connect.NewError(connect.CodeAborted, err)
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, err)
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, err)
	}
	logger.ErrorContext(ctx, op+" failed", "error", err)
	return connect.NewError(connect.CodeInternal, errors.New(op+" failed"))
}

// Once runs commands once per idempotency key.
type Once struct {
	DB *database.DB
	// PerUser makes a key its end user's: another user sending the same
	// key runs the command anew, never reads the response stored for the
	// first (which may hold an entity they do not own).
	PerUser bool
	// Fail turns the error of a command into the caller's.
	Fail func(ctx context.Context, op string, err error) error
}

// RunOnce runs call unless the idempotency key of ctx already ran method:
// then it returns the stored response. The call runs in the transaction
// that stores its response, so both commit or neither does.
func RunOnce[Req any, Res proto.Message](ctx context.Context, o Once, method string, req Req, call func(context.Context, Req) (Res, error), stored Res) (Res, error) {
	key := idempotency.Key(ctx)
	if key == "" {
		return call(ctx, req)
	}
	if subject, _, ok := identity.User(ctx); ok && o.PerUser {
		sum := sha256.Sum256([]byte(subject + "\x00" + key))
		key = hex.EncodeToString(sum[:])
	}
	var res Res
	err := o.DB.InTx(ctx, func(tx *sql.Tx) error {
		found, err := idempotency.Load(ctx, tx, o.DB.Dialect, key, method, stored)
		if err != nil || found {
			res = stored
			return err
		}
		if res, err = call(database.WithTx(ctx, tx), req); err != nil {
			return err
		}
		return idempotency.Save(ctx, tx, o.DB.Dialect, key, method, res)
	})
	if err != nil {
		var zero Res
		return zero, o.Fail(ctx, method, err)
	}
	return res, nil
}

// maxPositionWait bounds how long a query waits for its Min-Event-Position.
const maxPositionWait = 10 * time.Second

// TrackPosition returns a copy of ctx for running a command of a CQRS
// service in: ExposePosition then answers with the seq of the last event
// the command recorded.
func TrackPosition(ctx context.Context) context.Context {
	ctx, _ = outbox.TrackPosition(ctx)
	return ctx
}

// ExposePosition sets the Event-Position response header of a command of
// a CQRS service: a position that includes the events it recorded. That
// is the seq of the last one when the command ran with a context
// TrackPosition returned and recorded events; otherwise (a replay of a
// stored answer, no event, PostgreSQL) the head of the outbox, read.
func ExposePosition(ctx context.Context, db *database.DB, logger *slog.Logger) {
	info, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return
	}
	var pos int64
	if p := outbox.TrackedPosition(ctx); p != nil {
		pos = p.Seq()
	}
	if pos == 0 {
		head, err := outbox.Head(ctx, db, db.Dialect)
		if err != nil {
			logger.WarnContext(ctx, "read the event position", "error", err)
			return
		}
		pos = head
	}
	info.ResponseHeader().Set(outbox.PositionHeader, strconv.FormatInt(pos, 10))
}

// AwaitPosition waits until the read models projector builds reached the
// Min-Event-Position request header of a query, if it has one (at most
// maxPositionWait): a position, or "head" for every event committed before
// the query.
func AwaitPosition(ctx context.Context, db *database.DB, projector *outbox.Projector) error {
	info, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return nil
	}
	want := info.RequestHeader().Get(outbox.MinPositionHeader)
	if want == outbox.HeadPosition {
		head, err := outbox.Head(ctx, db, db.Dialect)
		if err != nil {
			return connect.NewError(connect.CodeUnavailable, fmt.Errorf("read the event position: %w", err))
		}
		want = strconv.FormatInt(head, 10)
	}
	pos, err := outbox.ParsePosition(want)
	if err != nil {
		return connect.NewError(connect.CodeInvalidArgument, err)
	}
	if pos == 0 {
		return nil
	}
	wait, cancel := context.WithTimeout(ctx, maxPositionWait)
	defer cancel()
	if err := projector.WaitFor(wait, pos); err != nil {
		return connect.NewError(connect.CodeUnavailable, err)
	}
	return nil
}
