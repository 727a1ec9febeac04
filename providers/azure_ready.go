package providers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// An Azure VM stays "Provisioning", and ends in a provisioning timeout, until the guest tells
// the wireserver it is ready. ReportReady does what Afterburn's check-in does: read the
// wireserver's protocol versions, fetch the goal state, and POST a health report saying
// Ready for the goal state's container and role instance. Every request carries the agent
// name and protocol version headers; each request is retried up to 10 times (backoff 1 s
// doubling to 5 s) and the whole report up to 5 times.

// ErrWireserver is a wireserver answer that does not allow a ready report.
var ErrWireserver = errors.New("azure wireserver")

const (
	defaultWireserver   = "168.63.129.16"
	wireserverVersion   = "2012-11-30"
	wireserverAgentName = "com.coreos.afterburn"
	reportRetries       = 10
	reportAttempts      = 5
)

// ReportReady tells the Azure wireserver that provisioning has finished.
func ReportReady(ctx context.Context, env *Env) error {
	ws := wireserverURL(env)
	var err error
	for range reportAttempts {
		if err = reportReadyOnce(ctx, env, ws); err == nil {
			env.log().Info("reported ready to the Azure wireserver")
			return nil
		}
		env.log().Warn("ready report failed", "error", err)
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("reporting ready: %w", err)
}

// wireserverURL returns the override, the address in DHCP option 245, or the fixed one.
func wireserverURL(env *Env) string {
	if u := env.Endpoints[EndpointWireserver]; u != "" {
		return u
	}
	if ip := dhcpFabricAddress(env); ip != nil {
		return "http://" + ip.String()
	}
	return "http://" + defaultWireserver
}

// dhcpFabricAddress reads option 245 (AzureFabricAddress) from systemd-networkd's leases.
func dhcpFabricAddress(env *Env) net.IP {
	leases, _ := filepath.Glob(env.path("/run/systemd/netif/leases/*"))
	for _, l := range leases {
		f, err := os.Open(l)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "OPTION_245="); ok {
				if ip := parseFabricAddress(v); ip != nil {
					f.Close()
					return ip
				}
			}
		}
		f.Close()
	}
	return nil
}

// parseFabricAddress decodes 8 hex digits (colons allowed) as a big-endian IPv4 address.
func parseFabricAddress(s string) net.IP {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if err != nil || len(b) != 4 {
		return nil
	}
	return net.IPv4(b[0], b[1], b[2], b[3])
}

// goalState is the part of the wireserver's goal state a report needs.
type goalState struct {
	Incarnation string `xml:"Incarnation"`
	Container   struct {
		ContainerID string `xml:"ContainerId"`
		Instances   []struct {
			InstanceID string `xml:"InstanceId"`
		} `xml:"RoleInstanceList>RoleInstance"`
	} `xml:"Container"`
}

func reportReadyOnce(ctx context.Context, env *Env, ws string) error {
	body, err := wireserverCall(ctx, env, http.MethodGet, ws+"/?comp=versions", nil)
	if err != nil {
		return err
	}
	var versions struct {
		Supported []string `xml:"Supported>Version"`
	}
	if err := xml.Unmarshal(body, &versions); err != nil {
		return fmt.Errorf("%w: versions: %w", ErrWireserver, err)
	}
	if !slices.Contains(versions.Supported, wireserverVersion) {
		return fmt.Errorf("%w: version %s not supported (%v)", ErrWireserver, wireserverVersion, versions.Supported)
	}
	body, err = wireserverCall(ctx, env, http.MethodGet, ws+"/machine/?comp=goalstate", nil)
	if err != nil {
		return err
	}
	var gs goalState
	if err := xml.Unmarshal(body, &gs); err != nil {
		return fmt.Errorf("%w: goal state: %w", ErrWireserver, err)
	}
	if gs.Incarnation == "" || gs.Container.ContainerID == "" || len(gs.Container.Instances) == 0 {
		return fmt.Errorf("%w: goal state without incarnation, container or role instance", ErrWireserver)
	}
	_, err = wireserverCall(ctx, env, http.MethodPost, ws+"/machine/?comp=health", healthReport(gs))
	return err
}

// healthReport is the Ready health document for a goal state.
func healthReport(gs goalState) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	b.WriteString(xml.Header)
	b.WriteString(`<Health xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">`)
	fmt.Fprintf(&b, "<GoalStateIncarnation>%s</GoalStateIncarnation>", esc(gs.Incarnation))
	fmt.Fprintf(&b, "<Container><ContainerId>%s</ContainerId><RoleInstanceList><Role><InstanceId>%s</InstanceId>",
		esc(gs.Container.ContainerID), esc(gs.Container.Instances[0].InstanceID))
	b.WriteString("<Health><State>Ready</State></Health></Role></RoleInstanceList></Container></Health>")
	return b.Bytes()
}

// wireserverCall runs one wireserver request with its retries; any 2xx succeeds.
func wireserverCall(ctx context.Context, env *Env, method, url string, body []byte) ([]byte, error) {
	delay := env.Timing.ReportBackoff
	if delay <= 0 {
		delay = time.Second
	}
	limit := 5 * delay
	var err error
	for n := 0; n <= reportRetries; n++ {
		if n > 0 {
			if serr := sleep(ctx, delay); serr != nil {
				return nil, fmt.Errorf("%w (last attempt: %v)", serr, err)
			}
			delay = min(2*delay, limit)
		}
		var out []byte
		if out, err = wireserverOnce(ctx, env, method, url, body); err == nil {
			return out, nil
		}
	}
	return nil, err
}

func wireserverOnce(ctx context.Context, env *Env, method, url string, body []byte) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-ms-agent-name", wireserverAgentName)
	req.Header.Set("x-ms-version", wireserverVersion)
	if body != nil {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
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
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%w: %s %s: %s", ErrWireserver, method, url, resp.Status)
	}
	return out, nil
}
