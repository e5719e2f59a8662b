package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/catalog"
	"github.com/paperpicks/paperpicks/users"
)

func init() {
	register(&command{name: "users", usage: "add|get|delete [ID] [--email E] [--tz ZONE] [--k N] [--digest]", summary: "create, show or delete a user",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			email := fs.String("email", "", "add: the user's email address")
			tz := fs.String("tz", "UTC", "add: IANA time zone, e.g. Europe/Berlin")
			k := fs.Int("k", users.DefaultPicksPerDay, "add: picks per day")
			digest := fs.Bool("digest", true, "add: mail the daily digest (needs --email)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return paperpicks.Errorf(paperpicks.EINVALID, "want add, get ID or delete ID")
				}
				return withApp(ctx, e, func(a *app) error {
					switch args[0] {
					case "add":
						if err := wantArgs(args, 1, "add without further arguments"); err != nil {
							return err
						}
						d := *digest && *email != ""
						u, token, err := a.users.Create(ctx, users.Settings{Email: email, TimeZone: tz, PicksPerDay: k, Digest: &d})
						if err != nil {
							return err
						}
						if e.json {
							return printJSON(e.stdout, map[string]any{"id": u.ID, "token": token, "user": u})
						}
						fmt.Fprintf(e.stdout, "user %s created\ntoken %s\n(the token is shown only now; keep it)\n", u.ID, token)
						return nil
					case "get":
						if err := wantArgs(args, 2, "get ID"); err != nil {
							return err
						}
						u, err := a.users.Get(ctx, args[1])
						if err != nil {
							return err
						}
						if e.json {
							return printJSON(e.stdout, u)
						}
						fmt.Fprintf(e.stdout, "%s email=%q tz=%s picks/day=%d digest=%v created=%s\n", u.ID, u.Email, u.TimeZone, u.PicksPerDay, u.Digest, u.CreatedAt.Format(time.RFC3339))
						return nil
					case "delete":
						if err := wantArgs(args, 2, "delete ID"); err != nil {
							return err
						}
						if err := a.users.Delete(ctx, args[1]); err != nil {
							return err
						}
						return report(e, map[string]any{"deleted": args[1]}, "user "+args[1]+" deleted with their feedback, profile and picks")
					}
					return paperpicks.Errorf(paperpicks.EINVALID, "unknown users action %q: want add, get or delete", args[0])
				})
			}
		}})
	for _, v := range []struct {
		name  string
		vote  paperpicks.Vote
		about string
	}{
		{"like", paperpicks.VoteUp, "thumbs up a paper for a user"},
		{"dislike", paperpicks.VoteDown, "thumbs down a paper for a user"},
		{"unlike", paperpicks.VoteNone, "take back a user's vote on a paper"},
	} {
		register(&command{name: v.name, usage: "USER_ID PAPER_ID", summary: v.about,
			flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
				return func(ctx context.Context, e *env, args []string) error {
					if err := wantArgs(args, 2, "USER_ID PAPER_ID"); err != nil {
						return err
					}
					return withApp(ctx, e, func(a *app) error {
						id := catalog.CanonicalID(args[1])
						changed, err := a.profiles.Feedback(ctx, args[0], id, v.vote)
						if err != nil {
							return err
						}
						return report(e, map[string]any{"user_id": args[0], "paper_id": id, "value": v.vote, "changed": changed},
							fmt.Sprintf("%s %s %s (changed: %v)", args[0], v.name+"d", id, changed))
					})
				}
			}})
	}
}

// report prints v as JSON or the human line.
func report(e *env, v any, human string) error {
	if e.json {
		return printJSON(e.stdout, v)
	}
	_, err := fmt.Fprintln(e.stdout, human)
	return err
}
