// Package reports reads the reports that mail receivers send a domain's
// owner, in the forms they really arrive in, and says what they say.
//
// # The three kinds
//
// DMARC aggregate reports (RFC 7489 appendix C; RFC 9990, which replaces it)
// are XML documents, one per reporting organisation, domain and period
// (usually a day). Each <record> counts the messages that one source IP sent
// with one combination of results: the DMARC disposition the receiver
// applied, the DKIM and SPF results as DMARC evaluated them (aligned with the
// From domain), the reasons a receiver overrode the policy (forwarded,
// local_policy, mailing_list...), and the raw DKIM signatures and SPF check
// under <auth_results>. RFC 9990 moves the elements into the namespace
// urn:ietf:params:xml:ns:dmarc-2.0, drops pct, and adds np (the policy for
// non-existent subdomains), testing (t=y), discovery_method (psl or
// treewalk), generator and the "pass" disposition. Most senders still use the
// RFC 7489 form, so both are decoded by element name, ignoring the namespace;
// Aggregate.Schema says which one a report declared.
//
// DMARC failure reports (RFC 7489 section 7.3; RFC 9991; the format is
// RFC 6591's extension of ARF, RFC 5965) are multipart/report messages whose
// second part, message/feedback-report, holds header-like fields
// (Feedback-Type: auth-failure, Source-IP, Reported-Domain, Arrival-Date,
// Auth-Failure...), and whose third part carries the failing message
// (message/rfc822) or only its header (text/rfc822-headers). The carried
// message is kept in Failure.Original for the normal inspection engine
// (pipeline.Engine.ReportJSON).
//
// SMTP TLS reports (RFC 8460) are JSON: per policy (sts, tlsa,
// no-policy-found) the counts of successful and failed TLS sessions to the
// domain's MX hosts, with the failures grouped by result type, sending IP and
// receiving MX.
//
// # The forms they arrive in
//
// Read sniffs the bytes, not the name alone: XML; gzip (the usual
// .xml.gz); zip (Google sends application/zip as the whole body of the
// message); JSON or gzipped JSON (TLS reports, application/tlsrpt+gzip);
// application/octet-stream that is any of those; a whole RFC 5322 message
// (.eml) carrying them as attachments or as its body; and an mbox file of
// such messages. One input can hold several reports; each is returned on its
// own, and one that cannot be read never stops the others.
//
// # Hostile input
//
// Every report comes from a stranger. Limits bounds what one input may cost:
// the bytes decompressed from all the archives in it (zip and gzip bombs are
// refused with ErrTooLarge after reading at most the cap, never the whole
// stream), the records of one aggregate report, the reports of one input and
// the depth of archives inside messages inside archives; one XML or JSON
// document is held to MaxDecompressed however it arrived. XML shaped to
// make encoding/xml spend far more than its size (elements nested hundreds
// deep, tags over 64 KiB, floods of namespace declarations) is read up to
// that point, and an input's errors are capped at 100, the rest counted.
// ReadStream looks at an input's head before reading it whole, so that a
// device or a pipe of garbage is refused at once. encoding/xml never
// expands custom entities (a billion-laughs document is an error, not a
// memory blow-up). A report that is partly readable (malformed XML from a
// large sender, a record with an unreadable count) is returned with what
// could be read, and Report.Errors says what was skipped. Strings are kept
// as they were sent: the JSON encoder escapes them, and whoever prints them
// on a terminal strips control characters first (internal/safetext).
//
// # Output
//
// Report.JSON writes the report contract of docs/report.md (section "DMARC
// and TLS reports"): one object per report, times in RFC 3339 UTC, policy
// values as published (null when absent). CSVHeader and Report.CSVRecords
// give one spreadsheet row per aggregate record.
package reports
