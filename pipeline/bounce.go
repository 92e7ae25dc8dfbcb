package pipeline

import (
	"fmt"
	"strings"

	"github.com/sealtrace/sealtrace/inspect"
	"github.com/sealtrace/sealtrace/mailbox"
)

// joinBounce recognises a bounce (a delivery status notification, RFC
// 3464) and says in rep what it reports. The message it returns is an item
// of its own (WithAttached), inspected like any other.
func joinBounce(rep *inspect.Report, raw []byte) {
	if !mayCarryMessages(raw) {
		return
	}
	bn, err := mailbox.ParseBounce(raw)
	if err != nil {
		return
	}
	b := &inspect.BounceReport{ReportingMTA: bn.ReportingMTA, Recipients: []inspect.BounceRecipient{}, Returned: "none"}
	switch {
	case bn.Returned != nil && bn.HeadersOnly:
		b.Returned = "headers"
	case bn.Returned != nil:
		b.Returned = "message"
	}
	for _, r := range bn.Recipients {
		b.Recipients = append(b.Recipients, inspect.BounceRecipient(r))
	}
	rep.Bounce = b
	var said []string
	for i, r := range b.Recipients {
		if i == 3 {
			said = append(said, fmt.Sprintf("and %d more", len(b.Recipients)-3))
			break
		}
		s := orUnknownWord(r.FinalRecipient) + ": " + orUnknownWord(r.Action)
		if r.Status != "" {
			s += " (" + r.Status + ")"
		}
		said = append(said, s)
	}
	w := "This is a bounce (a delivery status notification, RFC 3464)"
	if b.ReportingMTA != "" {
		w += " from " + b.ReportingMTA
	}
	if len(said) > 0 {
		w += ": " + strings.Join(said, "; ")
	}
	switch b.Returned {
	case "message":
		w += ". The returned message is inspected on its own, listed right after the bounce."
	case "headers":
		w += ". It returns the header of the message only; that header is inspected on its own, listed right after the bounce."
	default:
		w += ". It does not return the message."
	}
	rep.Warnings = append(rep.Warnings, w)
}

func orUnknownWord(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// markReturned says in the report of a returned message where it came
// from.
func markReturned(rep *inspect.Report) {
	rep.Warnings = append(rep.Warnings, "This message was returned inside a bounce: it is what the bounce's returned part holds of the message as the sending side sent it (the whole message, or only its header when the bounce returned only that)")
}
