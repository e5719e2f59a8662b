package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/internal/testapp"
)

// chromium finds Debian's chromium (or another Chrome). Without one the
// test skips, except in CI, where a missing browser is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	names := []string{os.Getenv("PAPERPICKS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}
	for _, n := range names {
		if n == "" {
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is required in CI: apt-get install chromium (.ci/run does)")
	}
	t.Skip("no Chromium found (apt-get install chromium); skipping the browser test")
	return ""
}

// artifacts is where screenshots go: $PAPERPICKS_ARTIFACTS or a temp dir.
func artifacts(t *testing.T) string {
	dir := os.Getenv("PAPERPICKS_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The reader's page end to end in headless Chromium: sign in through the
// digest's link, see the picks, give a thumbs up with the mouse and a
// thumbs down with the keyboard (both checked in the store), open more
// like this, and look at the page at a phone's width.
func TestReaderPageInChromium(t *testing.T) {
	exe := chromium(t)
	dir := artifacts(t)
	app := testapp.New(t, testapp.Options{})
	ada := app.NewUser(t, "ada@example.org", testapp.Likes...)
	yesterday := app.RunDaily(t)
	app.Clock.Add(24 * time.Hour)
	date := app.RunDaily(t)
	picks, err := app.Store.GetPicks(context.Background(), ada.ID, date)
	if err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-extensions", true), chromedp.Flag("force-color-profile", "srgb"), chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // start the browser without a deadline
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string, full bool) {
		t.Helper()
		var png []byte
		var err error
		if full {
			png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		} else {
			png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return n
	}
	vote := func(paper string) paperpicks.Vote {
		votes, _ := app.Store.Votes(context.Background(), ada.ID)
		for _, v := range votes {
			if v.PaperID == paper {
				return v.Value
			}
		}
		return paperpicks.VoteNone
	}
	card := func(i int) string { return "#p-" + anchorOf(picks[i].PaperID) }

	// Sign in with the link a digest carries: it lands on today's picks.
	step("sign in", chromedp.EmulateViewport(1280, 1000), chromedp.Navigate(app.LoginURL(ada.ID)), chromedp.WaitVisible(chromedp.CSS(".card")))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != app.URL+"/" {
		t.Errorf("after sign-in the browser is at %q", loc)
	}
	if n := eval(`document.querySelectorAll(".card").length`); n != len(picks) {
		t.Errorf("the page shows %d picks, want %d", n, len(picks))
	}
	// Every form control has a label or a name a screen reader can say.
	if n := eval(`[...document.querySelectorAll("button, input:not([type=hidden]), a")].filter(e => !(e.innerText.trim() || e.getAttribute("aria-label") || (e.id && document.querySelector("label[for='" + e.id + "']")))).length`); n != 0 {
		t.Errorf("%d controls have no accessible name", n)
	}
	shot("screenshot-desktop.png", false)
	shot("picks-desktop-full.png", true)

	// Thumbs up with the mouse.
	step("thumbs up", chromedp.Click(chromedp.CSS(card(0)+" button.vote.up")),
		chromedp.WaitVisible(chromedp.CSS(card(0)+` button.vote.up[aria-pressed="true"]`)))
	if v := vote(picks[0].PaperID); v != paperpicks.VoteUp {
		t.Errorf("stored vote after the thumbs up = %q", v)
	}

	// Thumbs down with the keyboard: focus the button, press Enter; the
	// focus ring must be visible.
	down := card(1) + " button.vote.down"
	step("focus thumbs down", chromedp.Focus(chromedp.CSS(down)))
	if n := eval(`getComputedStyle(document.activeElement).outlineStyle === "solid" ? 1 : 0`); n != 1 {
		t.Error("the focused button shows no focus outline")
	}
	step("press Enter", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(down+`[aria-pressed="true"]`)))
	if v := vote(picks[1].PaperID); v != paperpicks.VoteDown {
		t.Errorf("stored vote after the keyboard thumbs down = %q", v)
	}

	// More like this.
	step("more like this", chromedp.Click(chromedp.CSS(card(0)+" a.more")), chromedp.WaitVisible(chromedp.CSS(".focus-paper")))
	if n := eval(`document.querySelectorAll(".card").length`); n != 10 {
		t.Errorf("more like this shows %d papers, want 10", n)
	}
	if n := eval(`location.pathname.endsWith("/similar") ? 1 : 0`); n != 1 {
		t.Error("more like this did not open the similar page")
	}
	shot("screenshot-similar.png", false)

	// Earlier dates: the navigation leads to yesterday's picks.
	step("yesterday", chromedp.Navigate(app.URL+"/"), chromedp.Click(chromedp.CSS(`.dates a[href="/?date=`+yesterday+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.dates a[aria-current="page"][href="/?date=`+yesterday+`"]`)))
	if n := eval(`document.querySelectorAll(".card").length`); n == 0 {
		t.Error("yesterday's page shows no picks")
	}

	// A phone: nothing wider than the screen, the buttons still there.
	step("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(app.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".card")))
	if w := eval(`document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the page is %dpx wide on a 390px phone", w)
	}
	if n := eval(`[...document.querySelectorAll(".card button.vote")].filter(b => b.getBoundingClientRect().right > 390).length`); n != 0 {
		t.Errorf("%d thumbs buttons stick out of a phone's screen", n)
	}
	shot("screenshot-phone.png", false)
	t.Logf("screenshots in %s", dir)
}

// anchorOf is the element id suffix the page gives a paper.
func anchorOf(id string) string {
	out := []byte(id)
	for i, c := range out {
		if c == '/' || c == '.' {
			out[i] = '-'
		}
	}
	return string(out)
}
