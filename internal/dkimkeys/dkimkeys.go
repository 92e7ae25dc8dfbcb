// Package dkimkeys makes DKIM key pairs for tests and the demo generator:
// the private half in the file format the peers read (PKCS#1 PEM for RSA,
// which dkimpy and OpenDKIM take; the base64 seed for Ed25519, as dkimpy
// takes it), the public half as the TXT record to publish.
package dkimkeys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"

	"github.com/miekg/dns"
	"github.com/sealtrace/sealtrace/resolver"
)

// RSA makes a key of bits bits, writes its private half to dir and returns
// the file and the record for sel._domainkey.domain.
func RSA(dir, sel, domain string, bits int) (string, *dns.TXT, error) {
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, sel+"."+domain+".pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		return "", nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return "", nil, err
	}
	return path, resolver.TXT(sel+"._domainkey."+domain, "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(pub), 300), nil
}

// Ed25519 does the same for an Ed25519 key (RFC 8463).
func Ed25519(dir, sel, domain string) (string, *dns.TXT, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, sel+"."+domain+".ed")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(priv.Seed())), 0o600); err != nil {
		return "", nil, err
	}
	return path, resolver.TXT(sel+"._domainkey."+domain, "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub), 300), nil
}
