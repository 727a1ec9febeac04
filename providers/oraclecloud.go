package providers

import (
	"encoding/base64"
	"fmt"
	"net/http"
)

// oraclecloud (Oracle Cloud Infrastructure): GET /opc/v2/instance/metadata/user_data with
// the fixed Authorization: Bearer Oracle; 429 (throttled) is retried, a 404 means no user
// data, and the value is base64 (the platform stores it so), decoded here.

func init() {
	Register(httpProvider{id: "oraclecloud", src: httpSource{
		base:            defaultMetadataURL,
		path:            "/opc/v2/instance/metadata/user_data",
		headers:         header("Authorization", "Bearer Oracle"),
		retry:           []int{http.StatusTooManyRequests},
		notFoundIsEmpty: true,
		decode:          decodeBase64Value,
	}})
}

// decodeBase64Value decodes a metadata value the platform serves as standard padded base64;
// surrounding white space (a trailing newline) is ignored.
func decodeBase64Value(b []byte) ([]byte, error) {
	out, err := base64.StdEncoding.DecodeString(string(trimSpace(b)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBase64, err)
	}
	if len(out) == 0 {
		return nil, ErrNoConfig
	}
	return out, nil
}
