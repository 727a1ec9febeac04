package resource

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/flint-provision/flint/internal/dataurl"
)

// ErrDataURL wraps the decoder's complaint about a data: URL.
var ErrDataURL = errors.New("invalid data URL")

// fetchData decodes an RFC 2397 data: URL locally; its media type is
// ignored, base64 and percent-encoded payloads are both accepted.
func fetchData(rawURL string, s *sink) error {
	data, err := dataurl.Decode(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDataURL, err)
	}
	_, err = s.copyFrom(bytes.NewReader(data))
	return err
}
