package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// measureService starts `paperpicks serve` as a process of its own on the
// benchmark's SQLite data directory and reads its memory after start-up,
// a load of more-like-this requests and a rerun of the day's daily run:
// the resident memory the service needs, free of the benchmark's own
// workload and of the other stores it measured.
func (r *runner) measureService(ctx context.Context, papers int) error {
	r.opt.Stage("service process")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	secret := make([]byte, 16)
	rand.Read(secret)
	admin := hex.EncodeToString(secret)

	// The schedule fires a minute before now, so today's run (which the
	// benchmark made) is the one due: no catch-up run starts by itself.
	fire := time.Now().UTC().Add(-time.Minute)
	if fire.YearDay() != time.Now().UTC().YearDay() {
		fire = time.Now().UTC().Truncate(24 * time.Hour)
	}
	cmd := exec.CommandContext(ctx, r.opt.Binary, "--data", r.opt.Dir, "serve", "--addr", addr, "--demo=false")
	cmd.Env = append(os.Environ(), "PAPERPICKS_ADMIN_TOKEN="+admin, "PAPERPICKS_LOG_LEVEL=warn",
		fmt.Sprintf("PAPERPICKS_RANK_SCHEDULE=%d %d * * *", fire.Minute(), fire.Hour()), "PAPERPICKS_RANK_TIME_ZONE=UTC")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	base := "http://" + addr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * r.opt.Workers}, Timeout: 5 * time.Minute}
	for {
		res, err := client.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > 3*time.Minute {
			return fmt.Errorf("paperpicks serve was not ready after %v", time.Since(start))
		}
		time.Sleep(50 * time.Millisecond)
	}
	ready := time.Since(start)

	similar := httpOp(client, func(i int) (*http.Request, error) {
		return http.NewRequest("GET", base+"/v1/papers/"+r.w.Papers[(i*7919)%len(r.w.Papers)].ID+"/similar?k=10", nil)
	})
	load := Load(ctx, r.opt.Workers, 2000, r.opt.Duration, similar)
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/admin/rank?date="+r.date, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("daily run in the service: %w", err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("daily run in the service: %s", res.Status)
	}
	rss, peak := memoryOf(cmd.Process.Pid)
	r.rep.add(Row{Name: fmt.Sprintf("resident memory of paperpicks serve, %d papers + %d users", papers, len(r.w.Users)), Value: float64(peak) / (1 << 20), Unit: "MiB",
		Budget: "≤ 1.5 GiB", Pass: check(peak <= 1536<<20),
		Note: fmt.Sprintf("peak (VmHWM) of its own process over start-up (ready in %v), %d more-like-this requests (%d errors) and a rerun of the daily run; %d MiB resident after them",
			ready.Round(time.Millisecond), load.Requests, load.Errors, rss>>20)})
	return nil
}

// memoryOf returns the resident and peak resident memory of a process.
func memoryOf(pid int) (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb int64
		if n, _ := fmt.Sscanf(line, "VmRSS: %d kB", &kb); n == 1 {
			rss = kb << 10
		}
		if n, _ := fmt.Sscanf(line, "VmHWM: %d kB", &kb); n == 1 {
			peak = kb << 10
		}
	}
	return rss, peak
}
