// Command kizuna is Kizuna's single binary: API server, migrations, demo
// data, user and key administration, audit verification and benchmarks.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/kizuna-oss/kizuna/cli"
)

func main() {
	// Kizuna's live heap is small next to its allocation rate, so Go's
	// default (collect at 2× the live heap) would collect every few hundred
	// milliseconds under load, and on two cores a collection takes half the
	// machine. Collecting at 5× trades a few MiB for steadier latency.
	// GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
