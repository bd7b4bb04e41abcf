// Command kizuna is Kizuna's single binary: API server, migrations, demo
// data, user and key administration, audit verification and benchmarks.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kizuna-oss/kizuna/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
