package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// bannerDomain is a target of the demo list, so the commands the banner
// suggests find it after `make run`.
const bannerDomain = "northwind-hardware.com"

// bannerOptions are serve's --banner and --banner-key-file.
type bannerOptions struct {
	out     io.Writer
	keyFile string
}

// printBanner ends start-up with where the service is: the dashboard's
// address, and commands that work when pasted into a shell. The dashboard
// link carries the key from keyFile in its fragment (#key=…), which a
// browser never sends to a server, so the key reaches no access log; the
// app stores it and removes it from the address bar. The shell commands
// read the key from keyFile when pasted; the job id travels in a variable,
// extracted with jq when it is installed, else with sed.
func printBanner(w io.Writer, addr net.Addr, keyFile string) {
	base := "http://" + dialable(addr)
	_, err := exec.LookPath("jq")
	pretty, jobID := " | jq .", "jq -r .job_id"
	if err != nil {
		pretty, jobID = "", `sed -n 's/.*"job_id":"\([^"]*\)".*/\1/p'`
	}
	key := "key=$(cat " + shellQuote(keyFile) + ")"
	if keyFile == "" {
		key = "key=...   # an API key: partnerforge keys create --email you@example.com --tier standard"
	}
	fmt.Fprintf(w, `
PartnerForge is serving on %[1]s (Ctrl-C stops it). Try it in the dashboard:

  %[6]s

or from a shell:

  base=%[1]s
  %[5]s
  curl -s -H "X-API-Key: $key" "$base/api/targets?tier=1&sort=revenue&per_page=5"%[2]s
  job=$(curl -s -X POST -H "X-API-Key: $key" "$base/api/enrich/%[3]s" | %[4]s)
  curl -s -H "X-API-Key: $key" "$base/api/enrich/status/$job"%[2]s
  curl -s -H "X-API-Key: $key" "$base/api/companies/%[3]s"%[2]s

`, base, pretty, bannerDomain, jobID, key, dashboardURL(base, keyFile))
}

// dashboardURL is the dashboard's address, signed in with the key in
// keyFile when there is one to read.
func dashboardURL(base, keyFile string) string {
	if keyFile == "" {
		return base + "/  (paste an API key in Settings)"
	}
	raw, err := os.ReadFile(keyFile)
	key := strings.TrimSpace(string(raw))
	if err != nil || key == "" {
		return base + "/  (paste an API key in Settings)"
	}
	return base + "/#key=" + url.QueryEscape(key)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dialable turns a listener's address into one a client can reach: a
// listener on every interface is reached on loopback.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}
