package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sessionlab/sessionlab/core/session"
)

// CLI error names: failures of the command language itself, which have no
// VPP session error code (their Code is 0). Session-layer failures carry
// VPP's SESSION_E_* name and negative code instead.
const (
	// NameUnknownInput: a word no command or argument accepts (VPP's
	// "unknown input `...'").
	NameUnknownInput = "CLI_E_UNKNOWN_INPUT"
	// NameInvalidValue: a word in the right place with a value that cannot
	// be used (an IP address that does not parse, a port above 65535, a
	// prefix length out of range, a tag longer than 64 bytes, ...).
	NameInvalidValue = "CLI_E_INVALID_VALUE"
	// NameMissing: the command ended before a required argument.
	NameMissing = "CLI_E_MISSING"
	// NameNotEnabled: the command needs `session enable` first (VPP's
	// "session layer is not enabled").
	NameNotEnabled = "CLI_E_NOT_ENABLED"
	// NameMode: the command is not available in the current mode (for
	// example a transport notification while the loopback transport plays
	// the network).
	NameMode = "CLI_E_MODE"
	// NameExpect: an `expect` command's command did not end as expected.
	NameExpect = "CLI_E_EXPECT"
)

// Error is why a command failed. Session-layer failures have Code set to
// the VPP error (and Name to its SESSION_E_* name); command-language
// failures have Code 0 and one of the CLI_E_* names. Token and Col name the
// offending word when there is one.
type Error struct {
	// Code is the session-layer error, session.ErrNone for CLI errors.
	Code session.Error
	// Name is VPP's SESSION_E_* name or a CLI_E_* name.
	Name string
	// Msg is a sentence saying what went wrong.
	Msg string
	// Token is the offending word ("" when the failure is not about one).
	Token string
	// Col is the 0-based byte column of Token in the command line, -1 when
	// there is no token.
	Col int
}

// Error formats the error the way the CLI prints it: CLI errors as their
// sentence, session errors as "SESSION_E_X (-N): sentence".
func (e *Error) Error() string {
	if e.Code != session.ErrNone {
		return fmt.Sprintf("%s (%d): %s", e.Name, e.Code, e.Msg)
	}
	return e.Msg
}

// errUnknown is VPP's "unknown input `tok'".
func errUnknown(t token) *Error {
	return &Error{Name: NameUnknownInput, Msg: fmt.Sprintf("unknown input `%s'", echoToken(t.text)), Token: t.text, Col: t.col}
}

// echoToken is a word as a message repeats it: at most maxEcho bytes, quoted
// when it holds control bytes (the Token field keeps the whole word).
func echoToken(w string) string {
	if len(w) <= maxEcho && !hasControl(w) {
		return w
	}
	return echoCommand(w)
}

// errValue reports a bad value in token t.
func errValue(t token, format string, args ...any) *Error {
	return &Error{Name: NameInvalidValue, Msg: fmt.Sprintf(format, args...), Token: t.text, Col: t.col}
}

// errMissing reports that the line ended where what was expected.
func errMissing(col int, what string) *Error {
	return &Error{Name: NameMissing, Msg: "missing " + what, Col: col}
}

// errCLI is a CLI error not tied to a token.
func errCLI(name, format string, args ...any) *Error {
	return &Error{Name: name, Msg: fmt.Sprintf(format, args...), Col: -1}
}

// sessionSentence returns the plain sentence of a session error (its
// Error() without the trailing "(SESSION_E_X)").
func sessionSentence(e session.Error) string {
	return strings.TrimSuffix(e.Error(), " ("+e.Name()+")")
}

// errSession turns a session error into an Error; detail (optional) is
// appended to VPP's sentence to say which object the failure is about.
func errSession(e session.Error, detail string) *Error {
	msg := sessionSentence(e)
	if detail != "" {
		msg += ": " + detail
	}
	return &Error{Code: e, Name: e.Name(), Msg: msg, Col: -1}
}

// asCLIError converts an error returned by the session layer. Errors
// wrapping a session.Error keep its code; anything else (a layer that
// refuses a call for a reason without a code, such as "already disabled")
// becomes SESSION_E_INVALID with the layer's own text, so that every
// failure has a code a script can test.
func asCLIError(err error, detail string) *Error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	var se session.Error
	if errors.As(err, &se) {
		if detail == "" {
			// The layer's own context ("the sdl rules engine is not
			// modelled: ...") says more than VPP's sentence alone.
			detail = strings.TrimSuffix(strings.TrimPrefix(err.Error(), "session: "), se.Error())
			detail = strings.TrimSuffix(detail, ": ")
			if detail == se.Error() {
				detail = ""
			}
		}
		return errSession(se, detail)
	}
	msg := strings.TrimPrefix(err.Error(), "session: ")
	if detail != "" {
		msg = detail + ": " + msg
	}
	return &Error{Code: session.ErrInvalid, Name: session.ErrInvalid.Name(), Msg: msg, Col: -1}
}

// errPlain converts a session-layer error without the layer's context,
// for calls whose context only restates the command (connect, listen).
func errPlain(err error) *Error {
	var se session.Error
	if errors.As(err, &se) {
		return errSession(se, "")
	}
	return asCLIError(err, "")
}
