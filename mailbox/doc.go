// Package mailbox holds Sealtrace's message sources and what they need:
// mbox files read as a stream (RFC 4155), IMAP folders read without changing
// them, the on-disk cache of what was fetched and inspected, the accounts'
// passwords, and readers for what support engineers get sent (a message
// forwarded as an attachment, an Outlook .msg file).
//
// # IMAP, read-only
//
// An IMAP server (RFC 3501, RFC 9051) keeps state that a reader can change
// by accident: the \Seen flag set by fetching a body, \Recent cleared by
// selecting a folder. Sealtrace opens folders with EXAMINE (read-only
// SELECT), lists with UID SEARCH and FETCH of list data, and reads messages
// with BODY.PEEK[] only, which sets no flag; it never sends STORE, COPY,
// MOVE, EXPUNGE, APPEND, CREATE, DELETE or RENAME. The tests watch every
// command a session sends, against go-imap's in-memory server and a real
// Dovecot, and fail on any other.
//
// Connections use TLS unless the user asks otherwise (implicit TLS on 993,
// or STARTTLS on 143; plaintext only on request). A certificate that does
// not verify is refused and shown by its SHA-256 fingerprint, which the
// user may pin. Every call takes a context: cancelling it closes the
// connection. A server is hostile data too: each message literal is capped
// on the bytes received (Account.MaxMessageBytes), so is everything read
// while one command waits (Account.MaxCommandBytes), and a server that goes
// silent in the middle of a command is cut off (Account.IOTimeout).
//
// # DMARC and TLS reports
//
// FetchReports reads the reports of a folder without reading its mail:
// UID SEARCH for the report subjects, the TLS-Report-Domain header and
// multipart/report; FETCH BODYSTRUCTURE of what matched, to find the part
// that is the report (a gzip, zip, XML or TLS-RPT JSON attachment, or the
// whole multipart/report of a failure report); BODY.PEEK of that section
// only, capped by a partial fetch and on the bytes received, parts at the
// same section batched into one command. The parts and what each structure
// said are cached by UIDVALIDITY and UID, so a folder read again costs a
// SEARCH. go-imap parses body structures by recursion; what the server
// sends passes a guard that refuses parentheses nested more than 100 deep,
// which would otherwise overflow the stack.
//
// # Finding the server
//
// SuggestIMAP reads the domain's SRV records (RFC 6186); a target outside
// the user's domain is flagged, since anyone who can answer DNS for the
// domain could point it elsewhere (RFC 6186 6).
//
// # Passwords
//
// Passwords go to the system keyring (Secret Service, Windows Credential
// Manager, macOS Keychain through go-keyring); without one, they stay in
// memory for the session or, if the user chooses, in a file encrypted with
// a passphrase (Argon2id, AES-256-GCM). They are never logged.
package mailbox
