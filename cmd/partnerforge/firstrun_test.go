//go:build unix

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// testUnmigrated runs the commands that need the schema against a database
// without it: each says, in the operator's terms, to migrate first.
func testUnmigrated(t *testing.T, bin string, vars map[string]string) {
	t.Helper()
	noMigrate := map[string]string{"MIGRATE_ON_START": "false", "HTTP_ADDR": freeAddr(t)}
	for k, v := range vars {
		if _, set := noMigrate[k]; !set {
			noMigrate[k] = v
		}
	}
	for _, tc := range []struct {
		vars map[string]string
		args []string
	}{
		{vars, []string{"projections", "status"}},
		{vars, []string{"projections", "rebuild", "all"}},
		{vars, []string{"projections", "verify", "enrichment_jobs"}},
		{vars, []string{"import", "demo", "--rows", "10"}},
		{vars, []string{"import", "revert", uuid.NewString()}},
		{noMigrate, []string{"serve"}},
	} {
		res := runBinary(t, bin, tc.vars, tc.args...)
		if res.code != 1 || !strings.Contains(res.stderr, "run `partnerforge migrate up` first") {
			t.Errorf("partnerforge %s on an unmigrated database exited %d, want 1 saying to migrate; stderr:\n%s",
				strings.Join(tc.args, " "), res.code, res.stderr)
		}
	}
}

// testBanner imports the demo list and puts an API key where the banner's
// commands read it, then runs the banner's key, enrich and status commands in
// a shell, as pasted: the status must be the job's, for the domain the
// banner names.
func testBanner(t *testing.T, bin string, vars map[string]string, stdout *syncBuffer, keyFile string) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed: the banner's commands cannot run")
	}
	banner := stdout.String()
	if !strings.Contains(banner, "Try it") {
		t.Fatalf("serve printed no banner once healthy; stdout:\n%s", banner)
	}
	if res := runBinary(t, bin, vars, "import", "demo"); res.code != 0 {
		t.Fatalf("import demo exited %d; stderr:\n%s", res.code, res.stderr)
	}
	res := runBinary(t, bin, vars, "keys", "create", "--email", "banner@example.com", "--tier", "standard", "--json")
	var created struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &created); res.code != 0 || err != nil || created.Key == "" {
		t.Fatalf("keys create exited %d (%v); stdout:\n%s\nstderr:\n%s", res.code, err, res.stdout, res.stderr)
	}
	if err := os.WriteFile(keyFile, []byte(created.Key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var script []string
	for line := range strings.Lines(banner) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "base=") || strings.HasPrefix(line, "key=") || strings.HasPrefix(line, "job=") || strings.Contains(line, "/api/enrich/status/") {
			script = append(script, line)
		}
	}
	if len(script) != 4 {
		t.Fatalf("banner lacks the base, key, enrich and status commands:\n%s", banner)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", strings.Join(script, "\n")).Output()
	if err != nil {
		t.Fatalf("banner commands failed: %v\n%s\noutput:\n%s", err, strings.Join(script, "\n"), out)
	}
	var status struct {
		JobID  uuid.UUID `json:"job_id"`
		Domain string    `json:"domain"`
	}
	if err := json.Unmarshal(out, &status); err != nil || status.JobID == uuid.Nil || status.Domain != bannerDomain {
		t.Errorf("status command answered %s (%v), want the job of %s", out, err, bannerDomain)
	}
}
