// Package digesttest runs a real SMTP server in the test process, built on
// github.com/emersion/go-smtp, that keeps what it receives so tests can
// read the messages paperpicks sent.
package digesttest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received message.
type Message struct {
	From string
	To   []string
	Data []byte // as received, CRLF line ends
}

// Server is an SMTP server on 127.0.0.1 with a random port.
type Server struct {
	Host string
	Port int

	srv  *smtp.Server
	mu   sync.Mutex
	msgs []Message
	// Reject, when set, is asked for each recipient at DATA time; a non-nil
	// *smtp.SMTPError refuses the message with it (e.g. code 451 or 550).
	reject   func(to string, n int) error
	attempts map[string]int
	user     string
	pass     string
	arrived  chan struct{}
}

// Options shape the server.
type Options struct {
	// TLS, when set, offers STARTTLS (Implicit false) or speaks TLS from
	// the first byte (Implicit true).
	TLS      *tls.Config
	Implicit bool
	// User and Password, when set, require AUTH PLAIN with them.
	User, Password string
	// Reject decides per recipient and attempt (1, 2, …) whether to
	// refuse the message; nil accepts everything.
	Reject func(to string, attempt int) error
}

// Start starts a server that stops when the test ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	s := &Server{reject: opt.Reject, attempts: map[string]int{}, user: opt.User, pass: opt.Password, arrived: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = opt.TLS == nil
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.TLSConfig = opt.TLS
	var ln net.Listener
	var err error
	if opt.TLS != nil && opt.Implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", opt.TLS)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Messages returns what arrived so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// For returns the messages to one address.
func (s *Server) For(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if slices.Contains(m.To, strings.ToLower(addr)) {
			out = append(out, m)
		}
	}
	return out
}

// Wait waits until n messages arrived or d passed, and returns them.
func (s *Server) Wait(n int, d time.Duration) []Message {
	deadline := time.After(d)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			return s.Messages()
		}
	}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: s, authed: s.user == ""}, nil
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.user || pass != x.s.pass {
			return errors.New("invalid username or password")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !x.authed {
		return smtp.ErrAuthRequired
	}
	x.to = append(x.to, strings.ToLower(to))
	return nil
}

func (x *session) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, to := range x.to {
		s.attempts[to]++
		if s.reject != nil {
			if err := s.reject(to, s.attempts[to]); err != nil {
				return err
			}
		}
	}
	s.msgs = append(s.msgs, Message{From: x.from, To: slices.Clone(x.to), Data: b.Bytes()})
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }
