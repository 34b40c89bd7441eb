package policies

import (
	"context"
	"fmt"
	"runtime"
)

// OPA's evaluator recurses deeply. On the small, fresh stack of a request
// goroutine the runtime grows the stack by doubling and copying it several
// times per evaluation, which costs more than the evaluation itself
// (BenchmarkDecideOnFreshGoroutine against BenchmarkDecide). Evaluations
// therefore run on a few long-lived workers whose stacks stay grown.

func (e *Engine) startWorkers() {
	e.jobs = make(chan func())
	e.quit = make(chan struct{})
	for range runtime.GOMAXPROCS(0) {
		go e.worker()
	}
}

// stackReserve is kept in use at the bottom of each worker's stack.
const stackReserve = 128 << 10

//go:noinline
func (e *Engine) worker() byte {
	var reserve [stackReserve]byte
	for {
		select {
		case job := <-e.jobs:
			job()
		case <-e.quit:
			return reserve[reserveIndex()]
		}
	}
}

// reserveIndex keeps the compiler from proving the reserve unused.
//
//go:noinline
func reserveIndex() int { return stackReserve - 1 }

func (e *Engine) stopWorkers() { close(e.quit) }

// onWorker runs fn on a worker and waits for it; after Close it runs fn on the
// caller's goroutine. A panic in fn comes back as an error, never a crash.
// Waiting for a free worker ends with ctx.
func (e *Engine) onWorker(ctx context.Context, fn func() error) error {
	var err error
	done := make(chan struct{})
	job := func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("policy evaluation panicked: %v", r)
			}
		}()
		err = fn()
	}
	select {
	case e.jobs <- job:
		<-done
	case <-e.quit:
		job()
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}
