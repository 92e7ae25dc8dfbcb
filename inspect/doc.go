// Package inspect turns one RFC 5322 message into an authentication report:
// what each check found, in plain words, with the DNS answers it rested on.
//
// # What is checked, in order
//
// The path. Every Received field (RFC 5321 4.4) is read, oldest first, as a
// hop: who handed the message on, who took it, when, over TLS or not. The
// hop where the message entered the receiving organisation is the one whose
// connecting IP address SPF checks; the hops above it are the receiver's
// own, the ones below the sender's and whoever it asked to relay.
//
// SPF (RFC 7208) asks: may this IP address send mail for the domain of the
// envelope sender (MAIL FROM, found in Return-Path)? The domain's TXT record
// ("v=spf1 …") lists mechanisms, evaluated left to right; the first that
// matches decides (pass, fail, softfail, neutral). No record is none; a
// broken record, or more than 10 DNS-querying mechanisms, is permerror; a
// DNS failure is temperror.
//
// DKIM (RFC 6376; Ed25519 in RFC 8463; RFC 8301 retires rsa-sha1) asks: did
// the domain in d= sign this message, and has it changed since? Each
// DKIM-Signature names the header fields it covers (h=), a hash of the body
// (bh=, after canonicalization, up to l= bytes when given) and a signature
// (b=) made with the key published at SELECTOR._domainkey.DOMAIN. pass means
// both the body hash and the signature hold; fail says which one broke (the
// body changed, or a signed header did); permerror means the signature or
// its key cannot be used at all; policy means it verifies with an algorithm
// that is no longer accepted (rsa-sha1).
//
// DMARC (RFC 9989, which replaced RFC 7489) ties the two to the address a
// reader sees, the From domain: it passes when SPF or DKIM passed for a
// domain aligned with it (the same domain, or, relaxed, the same
// organisational domain, found by walking the DNS tree for _dmarc records).
// The policy (p=, sp=, np=) says what the domain asks receivers to do with
// mail that fails: none, quarantine or reject.
//
// ARC (RFC 8617) lets an intermediary such as a mailing list, which breaks
// DKIM by adding a footer, record what it saw and seal it: each instance
// has an ARC-Authentication-Results (what it found), an
// ARC-Message-Signature (like DKIM) and an ARC-Seal over the chain so far.
// The chain passes when every seal holds and the newest message signature
// does; a receiver that trusts the sealer may then accept a DMARC failure.
//
// Claims. Every Authentication-Results field (RFC 8601) a receiver added is
// read (with the forms real receivers write) and set beside what Sealtrace
// finds now; a difference gets its likely reason (a key rotated since, the
// body changed after delivery, a DNS failure then).
//
// # Result words
//
// Every check speaks RFC 8601's words (package trace): pass, fail,
// softfail, neutral, none, temperror, permerror, and policy for DKIM.
// temperror is never fail: it means an answer could not be had, and asking
// again may give another verdict.
//
// # Why DKIM and ARC are verified here
//
// go-msgauth's dkim package gives no selector, key record, body-hash or
// canonicalized header detail (the steps a trainer shows), refuses every
// signature with l= before any crypto, and cannot report rsa-sha1 as
// "policy". ARC needs the same canonicalization and key handling, so both
// share sig.go and canon.go. SPF uses blitiri.com.ar/go/spf through a
// recording resolver.
//
// # Bounded work
//
// A message is hostile input, so the work it can cause is bounded: at most
// Options.MaxDKIMSignatures DKIM signatures are evaluated (the rest are
// reported as not evaluated), MaxKeyLookups at a time; h= lists are
// resolved through an index of the header by name; every l= of a
// canonicalization is hashed in one pass over the body; and all DNS work
// shares one deadline (Options.DNSDeadline), after which the missing
// answers are temperror. DMARC is temperror when such a check could have
// decided it. d= and s= must be DNS labels before they become a question.
// The report is the same bytes for the same message, evaluation time and
// clock (the DNS evidence is sorted).
package inspect
