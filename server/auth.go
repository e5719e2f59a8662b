package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/paperpicks/paperpicks"
)

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// sameToken compares two secrets in constant time; hashing first makes the
// time independent of their lengths too.
func sameToken(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// isAdmin reports whether the request carries the admin token.
func (s *Server) isAdmin(c *gin.Context) bool {
	tok := bearer(c)
	return s.cfg.AdminToken != "" && tok != "" && sameToken(tok, s.cfg.AdminToken)
}

// requireAdmin lets only the admin token through: no token is 401, any
// other token 403.
func (s *Server) requireAdmin(c *gin.Context) {
	switch {
	case s.cfg.AdminToken == "":
		abort(c, paperpicks.Errorf(paperpicks.EFORBIDDEN, "admin routes are disabled: set PAPERPICKS_ADMIN_TOKEN"))
	case bearer(c) == "":
		abort(c, paperpicks.Errorf(paperpicks.EUNAUTHORIZED, "missing admin token: send Authorization: Bearer <token>"))
	case !s.isAdmin(c):
		abort(c, paperpicks.Errorf(paperpicks.EFORBIDDEN, "this route needs the admin token"))
	default:
		c.Next()
	}
}
