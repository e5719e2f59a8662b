package digest

import (
	"context"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/store"
)

// Report counts what a batch did.
type Report struct {
	Date    string `json:"date"`
	Users   int    `json:"users"`   // with an address and the digest on
	Sent    int    `json:"sent"`    // by this batch
	Failed  int    `json:"failed"`  // by this batch; retried later
	GaveUp  int    `json:"gave_up"` // by this batch
	Skipped int    `json:"skipped"` // no picks for the date
	Done    int    `json:"done"`    // final before this batch began
	Waiting int    `json:"waiting"` // a retry not due yet, or another sender's claim
}

// Pending is how many digests of the date may still be sent.
func (r Report) Pending() int { return r.Failed + r.Waiting }

// SendDate sends the digest of date to every user with an address and the
// digest on who has not had it, once the daily run of date succeeded. It
// is idempotent: calling it again sends only what is missing or due for a
// retry. It stops between messages when ctx is done.
func (s *Sender) SendDate(ctx context.Context, date string) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := Report{Date: date}
	run, err := s.store.GetRun(ctx, date)
	if err != nil && !paperpicks.IsCode(err, paperpicks.ENOTFOUND) {
		return rep, err
	}
	if err != nil || run.Status != "ok" {
		return rep, paperpicks.Errorf(paperpicks.ECONFLICT, "the daily run for %s has not finished; its digests wait for it", date)
	}
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return rep, err
	}
	recs, err := s.store.DigestSends(ctx, date)
	if err != nil {
		return rep, err
	}
	byUser := make(map[string]*store.DigestSend, len(recs))
	for _, d := range recs {
		byUser[d.UserID] = d
	}
	defer s.mailer.Close()
	start := time.Now()
	for _, u := range users {
		if !u.Digest || u.Email == "" {
			continue
		}
		rep.Users++
		if d := byUser[u.ID]; d != nil && !d.Claimable(s.now()) {
			if d.Status == store.DigestSending || d.Status == store.DigestFailed {
				rep.Waiting++
			} else {
				rep.Done++
			}
			continue
		}
		if ctx.Err() != nil {
			rep.Waiting++
			continue
		}
		s.count(&rep, s.sendOne(ctx, u, date))
	}
	s.log.Info("digests sent", "date", date, "users", rep.Users, "sent", rep.Sent, "failed", rep.Failed, "gave_up", rep.GaveUp,
		"skipped", rep.Skipped, "done_before", rep.Done, "waiting", rep.Waiting, "took_ms", time.Since(start).Milliseconds())
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	return rep, nil
}

// SendUser sends one user's digest of date unless it was sent (the daily
// run's state is not checked: the user's picks are what counts).
func (s *Sender) SendUser(ctx context.Context, userID, date string) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.mailer.Close()
	rep := Report{Date: date, Users: 1}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return rep, err
	}
	out := s.sendOne(ctx, u, date)
	if out.status == held && out.err != nil {
		return rep, out.err
	}
	s.count(&rep, out)
	return rep, nil
}

// outcome is what sendOne did.
type outcome struct {
	status string // a store.Digest* status, held or done
	err    error
}

const (
	held = "held" // not claimed: another sender's, a retry not due, or an error
	done = "done" // not claimed: final before
)

func (s *Sender) count(rep *Report, o outcome) {
	switch o.status {
	case store.DigestSent:
		rep.Sent++
	case store.DigestFailed:
		rep.Failed++
	case store.DigestGaveUp:
		rep.GaveUp++
	case store.DigestSkipped:
		rep.Skipped++
	case done:
		rep.Done++
	default:
		rep.Waiting++
	}
}

// sendOne claims, sends and records one user's digest (see the package
// doc). Once claimed, it runs to the end even if ctx is cancelled, so a
// shutdown never leaves a claim without its outcome.
func (s *Sender) sendOne(ctx context.Context, u *paperpicks.User, date string) outcome {
	if err := s.limiter.Wait(ctx); err != nil {
		return outcome{status: held, err: err}
	}
	d, claimed, err := s.store.ClaimDigest(ctx, u.ID, date, s.now(), s.lease())
	if err != nil {
		s.log.Error("digest claim failed", "user_id", u.ID, "date", date, "err", err)
		return outcome{status: held, err: err}
	}
	if !claimed {
		if d.Status == store.DigestSending || d.Status == store.DigestFailed {
			return outcome{status: held}
		}
		return outcome{status: done}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.lease())
	defer cancel()
	msg, err := s.compose(ctx, u.ID, date, true)
	switch {
	case paperpicks.IsCode(err, paperpicks.ENOTFOUND):
		d.Status, d.Error = store.DigestSkipped, paperpicks.ErrorMessage(err)
		return s.finish(ctx, d)
	case err != nil:
		return s.failed(ctx, d, err)
	}
	if err := s.mailer.Send(ctx, msg); err != nil {
		return s.failed(ctx, d, err)
	}
	d.Status, d.SentAt, d.MessageID, d.Error = store.DigestSent, s.now(), s.messageID(u.ID, date), ""
	return s.finish(ctx, d)
}

// failed records a failed attempt: retried after the backoff (doubling
// each time), or given up after MaxAttempts or a permanent refusal.
func (s *Sender) failed(ctx context.Context, d *store.DigestSend, err error) outcome {
	d.Error = describe(err)
	if d.Attempts >= s.cfg.MaxAttempts || permanent(err) {
		d.Status = store.DigestGaveUp
		s.log.Error("digest given up", "user_id", d.UserID, "date", d.Date, "attempts", d.Attempts, "err", err)
	} else {
		d.Status = store.DigestFailed
		d.NextAttempt = s.now().Add(s.cfg.RetryBackoff << (d.Attempts - 1))
		s.log.Warn("digest failed; will retry", "user_id", d.UserID, "date", d.Date, "attempts", d.Attempts, "next_attempt", d.NextAttempt, "err", err)
	}
	return s.finish(ctx, d)
}

func (s *Sender) finish(ctx context.Context, d *store.DigestSend) outcome {
	if err := s.store.FinishDigest(ctx, d); err != nil {
		// The row stays "sending"; once its lease runs out it is claimed
		// again (a sent message is then sent again: the crash window).
		s.log.Error("digest outcome not recorded", "user_id", d.UserID, "date", d.Date, "status", d.Status, "err", err)
		return outcome{status: held, err: err}
	}
	return outcome{status: d.Status}
}

// compose builds the message of a user's digest for date. freeze marks
// the picks delivered first, so what the message shows is what stays;
// a preview leaves them alone. ENOTFOUND: nothing to send.
func (s *Sender) compose(ctx context.Context, userID, date string, freeze bool) (*gomail.Msg, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !u.Digest || u.Email == "" {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "user %q has no address or turned the digest off", u.ID)
	}
	to, err := recipient(u.Email)
	if err != nil {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "user %q: %s", u.ID, paperpicks.ErrorMessage(err))
	}
	if freeze {
		if err := s.store.MarkDelivered(ctx, u.ID, date, s.now()); err != nil {
			return nil, err
		}
	}
	picks, err := s.store.GetPicks(ctx, u.ID, date)
	if err != nil {
		return nil, err
	}
	papers, err := s.store.GetPapers(ctx, paperpicks.PickedPaperIDs(picks))
	if err != nil {
		return nil, err
	}
	v := s.view(u, date, picks, papers)
	if len(v.Items) == 0 {
		return nil, paperpicks.Errorf(paperpicks.ENOTFOUND, "no picked paper of %s is in the catalog any more", date)
	}
	r, err := render(v)
	if err != nil {
		return nil, paperpicks.WrapError(paperpicks.EINTERNAL, err, "render digest")
	}
	return s.build(envelope{To: to, MessageID: s.messageID(u.ID, date), Date: s.now(), Unsubscribe: v.Unsubscribe}, r)
}

// Preview returns a user's digest of date as it would be sent, without
// sending it, recording anything or marking picks delivered.
func (s *Sender) Preview(ctx context.Context, userID, date string) (*gomail.Msg, error) {
	return s.compose(ctx, userID, date, false)
}
