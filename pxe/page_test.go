package pxe

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// pageRows parses the status page and returns each machine row's cells by class.
func pageRows(t *testing.T, page string) []map[string]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	var walk func(n *html.Node, row map[string]string)
	walk = func(n *html.Node, row map[string]string) {
		if n.Type == html.ElementNode && n.Data == "tr" && attr(n, "data-machine") != "" {
			row = map[string]string{}
			rows = append(rows, row)
		}
		if n.Type == html.ElementNode && n.Data == "td" && row != nil {
			cls := strings.Fields(attr(n, "class"))
			if len(cls) > 0 {
				row[cls[0]] = strings.TrimSpace(text(n))
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, row)
		}
	}
	walk(doc, nil)
	return rows
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
	}
	return b.String()
}

func TestStatusPage(t *testing.T) {
	s, ts := testServer(t, testData(t))
	boot := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	record := func(id string, f func(*MachineStatus)) {
		if err := s.Store.RecordStatus(ctx, id, func(st *MachineStatus) error { f(st); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	record("52-54-00-00-00-01", func(st *MachineStatus) {
		st.recordBoot(boot, Labels{"mac": "52:54:00:00:00:01", "hostname": "alpha"}, "default", "worker")
		st.apply(boot.Add(time.Minute), &StatusReport{Stage: StageComplete, Event: EventSuccess})
	})
	record("52-54-00-00-00-02", func(st *MachineStatus) {
		st.recordBoot(boot, Labels{"mac": "52:54:00:00:00:02", "hostname": "<b>beta</b>"}, "db", "worker")
		st.apply(boot, &StatusReport{Stage: "disks", Event: EventFailure, Message: "no disk <vdb>"})
	})
	record("52-54-00-00-00-03", func(st *MachineStatus) {
		st.recordBoot(boot, Labels{"mac": "52:54:00:00:00:03"}, "embed", "embed")
	})
	code, page := get(t, ts.URL+"/")
	if code != http.StatusOK {
		t.Fatalf("GET / = %d", code)
	}
	if strings.Contains(page, "<b>beta") {
		t.Errorf("the page holds a machine's hostname unescaped")
	}
	got := pageRows(t, page)
	when := "2025-03-01 12:00:00 UTC"
	want := []map[string]string{
		{"id": "52-54-00-00-00-01", "hostname": "alpha", "group": "default", "profile": "worker", "last-boot": when, "result": "provisioned", "detail": "provisioned at 2025-03-01 12:01:00 UTC"},
		{"id": "52-54-00-00-00-02", "hostname": "<b>beta</b>", "group": "db", "profile": "worker", "last-boot": when, "result": "failed", "detail": "disks: no disk <vdb>"},
		{"id": "52-54-00-00-00-03", "hostname": "", "group": "embed", "profile": "embed", "last-boot": when, "result": "booted", "detail": ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status page rows mismatch (-want +got):\n%s", diff)
	}
	t.Run("summary, failures first", func(t *testing.T) {
		got := newPageView([]MachineStatus{{Result: ResultProvisioned}, {Result: ResultBooted}, {Result: ResultFailed}, {Result: ResultFailed}}, boot).Counts
		want := []resultCount{{ResultFailed, 2}, {ResultBooted, 1}, {ResultProvisioned, 1}}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(resultCount{})); diff != "" {
			t.Errorf("newPageView().Counts mismatch (-want +got):\n%s", diff)
		}
		if !strings.Contains(page, `<span class="count failed">1 failed</span>`) {
			t.Errorf("the page has no count of failed machines")
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, ts := testServer(t, testData(t))
		_, page := get(t, ts.URL+"/")
		if rows := pageRows(t, page); len(rows) != 0 || !strings.Contains(page, "0 machines") {
			t.Errorf("empty page rows = %v", rows)
		}
	})
}
