// Command microforge turns a blueprint of a microservice system into a
// complete, working multi-service Go repository. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/microforge/microforge/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
