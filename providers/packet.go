package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/flint-provision/flint/internal/resource"
)

// packet (Equinix Metal): GET https://metadata.packet.net/userdata over HTTPS by host name,
// with Accept: */* (the service answers the default Accept with 406). A 404 is an error; an
// empty body means no user data.
//
// After every stage the reference posts a status event to the phone-home URL the metadata
// names (§20 of the provider reference); PhoneHome does that, once, without retries: a failed
// event is logged by the caller, never fatal.

func init() { Register(packetProvider{packetUserData}) }

const packetMetadataURL = "https://metadata.packet.net"

var packetHeaders = header("Accept", "*/*")

var packetUserData = httpProvider{id: "packet", src: httpSource{
	base:    packetMetadataURL,
	path:    "/userdata",
	headers: packetHeaders,
}}

type packetProvider struct{ httpProvider }

// Metadata reads the device description at /metadata (the document PhoneHome reads too, but
// with the fetch retries). The metro is the region, the facility the zone; the addresses are
// the first of each family and scope in network.addresses.
func (p packetProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	var doc struct {
		ID       string   `json:"id"`
		Hostname string   `json:"hostname"`
		Metro    string   `json:"metro"`
		Facility string   `json:"facility"`
		SSHKeys  []string `json:"ssh_keys"`
		Network  struct {
			Addresses []struct {
				Family  int    `json:"address_family"`
				Public  bool   `json:"public"`
				Address string `json:"address"`
			} `json:"addresses"`
		} `json:"network"`
	}
	url := env.endpoint(EndpointMetadata, packetMetadataURL) + "/metadata"
	if err := metadataJSON(ctx, env, url, resource.Options{Headers: packetHeaders}, &doc); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	m := Metadata{Hostname: doc.Hostname, InstanceID: doc.ID, Region: doc.Metro, Zone: doc.Facility}
	for _, a := range doc.Network.Addresses {
		var dst *string
		switch {
		case a.Family == 4 && a.Public:
			dst = &m.IPv4Public
		case a.Family == 4:
			dst = &m.IPv4Private
		case a.Family == 6 && a.Public:
			dst = &m.IPv6Public
		case a.Family == 6:
			dst = &m.IPv6Private
		default:
			continue
		}
		if *dst == "" {
			*dst = a.Address
		}
	}
	for _, k := range doc.SSHKeys {
		m.SSHKeys = append(m.SSHKeys, lines(k)...)
	}
	return m, nil
}

// ErrPhoneHome is a phone-home event that could not be sent.
var ErrPhoneHome = errors.New("equinix metal phone-home")

// PhoneHome posts the outcome of stage to Equinix Metal: "running" when stageErr is nil,
// "failed" with the error text otherwise.
func PhoneHome(ctx context.Context, env *Env, stage string, stageErr error) error {
	base := env.endpoint(EndpointMetadata, packetMetadataURL)
	body, err := oneShot(ctx, env, http.MethodGet, base+"/metadata", packetHeaders, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPhoneHome, err)
	}
	if len(body) == 0 {
		return fmt.Errorf("%w: fetch successful but fetched data empty", ErrPhoneHome)
	}
	var md struct {
		PhoneHomeURL string `json:"phone_home_url"`
	}
	if err := json.Unmarshal(body, &md); err != nil {
		return fmt.Errorf("%w: metadata: %w", ErrPhoneHome, err)
	}
	if md.PhoneHomeURL == "" {
		return fmt.Errorf("%w: metadata has no phone_home_url", ErrPhoneHome)
	}
	event := struct {
		State   string `json:"state"`
		Message string `json:"message"`
	}{"running", fmt.Sprintf("[%s] Ignition status: finished successfully", stage)}
	if stageErr != nil {
		event.State, event.Message = "failed", fmt.Sprintf("[%s] Ignition error: %v", stage, stageErr)
	}
	eb, err := json.Marshal(event)
	if err != nil {
		return err
	}
	url := strings.TrimSuffix(md.PhoneHomeURL, "/phone-home") + "/events"
	if _, err := oneShot(ctx, env, http.MethodPost, url, header("Content-Type", "application/json"), eb); err != nil {
		return fmt.Errorf("%w: %w", ErrPhoneHome, err)
	}
	return nil
}

// oneShot sends one request with the one-shot client; any non-2xx is an error.
func oneShot(ctx context.Context, env *Env, method, url string, h http.Header, body []byte) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := env.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	return out, nil
}
