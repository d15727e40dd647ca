//go:build !tenancy

package client

import (
	"context"
	"net/http"
	"testing"
)

func scoped(ctx context.Context) context.Context { return ctx }

func checkScope(*testing.T, http.Header) {}
