// Package cli is sessionlab's command language: VPP's session-layer CLI
// commands (session enable, app ns, session rule, show session [rules],
// show app [ns], ...) with VPP's syntax, plus a few commands of its own that
// stand in for what VPP has and a model does not (applications, a network,
// a TCP stack), run against one in-process session layer (core/session).
// `sessionlab cli` is a thin front end over it; docs/cli.md is the
// reference of every command, and each of its examples is a test.
//
// # Data flow
//
// A command line goes through four steps, all in [Executor.Exec]:
//
//  1. The tokenizer splits it into words, each with its column; a '#' that
//     begins a word starts a comment. Nothing is copied: the words point
//     into the line.
//  2. The command table (VPP commands and sessionlab's, each with VPP-style
//     short help) selects the command with the longest path of leading
//     words; as in VPP, a command word may be abbreviated to a prefix no
//     other word at its level shares (`sh sess verbose`). A word no path
//     continues is VPP's "unknown input `word'".
//  3. The command's parser reads its arguments as VPP's unformat loops do
//     (keywords in any order, each followed by its value) with a scanner
//     whose every error names the offending word and what was expected, and
//     calls the session layer. Session-layer failures keep VPP's error code
//     and name ([Error]).
//  4. Unless polling is manual, the model then settles: the transports
//     deliver their queued network events, every thread runs its control
//     events and delivers application events, and the CLI plays the
//     applications' side of their message queues (recording each event,
//     answering accepts). Events and the calls the layer makes to a
//     manually played transport are attached to the command's [Result].
//
// A [Result] renders as text (VPP's output formats for VPP's commands:
// [Result.WriteText]) or as one JSON object per command
// ([Result.WriteJSON]); the JSON members are a public contract documented
// in docs/cli.md. [Executor.RunScript] runs a script (line numbers in error
// lines, stop at the first failure unless KeepGoing) and `expect` lets a
// script state the failures it expects, which is how testdata/cli
// reproduces VPP's session_test.c and test_session.py cases.
//
// # The model around the layer
//
// The Executor owns a TCP and a UDP transport that either only record what
// the layer asks (ModeManual: the user answers with `transport connected |
// accept | closing | reset | closed | delete`, stepping a session through
// the close state machine one notification at a time) or play a loopback
// network with session.TestTransport (ModeLoopback). Applications are
// builtin: the CLI pops their events and answers accepts (unless attached
// `manual`); it never closes on their behalf, so a script shows every step.
//
// An Executor is not safe for concurrent use, like the Layer it drives.
// Nothing here is on a packet path; the tokenizer nevertheless allocates
// nothing (a script replays thousands of lines).
package cli
