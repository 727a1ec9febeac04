package providers

import (
	"context"
	"errors"
)

// Some platforms offer the same user data in several places (a config drive that may appear
// late, a metadata service that may be down) and the reference tries them all at once: the
// first source that succeeds wins and the others are cancelled. "No user data" counts as a
// success, so a metadata 404 can win against a drive that would have appeared later.

// source is one place to read user data from.
type source func(ctx context.Context) ([]byte, error)

// race runs the sources concurrently and returns the first success (ErrNoConfig included).
// When every source fails, the errors are joined.
func race(ctx context.Context, sources ...source) ([]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		b   []byte
		err error
	}
	results := make(chan result, len(sources))
	for _, s := range sources {
		go func() {
			b, err := s(ctx)
			results <- result{b, err}
		}()
	}
	var errs []error
	for range sources {
		r := <-results
		if r.err == nil || errors.Is(r.err, ErrNoConfig) {
			return r.b, r.err
		}
		errs = append(errs, r.err)
	}
	return nil, errors.Join(errs...)
}
