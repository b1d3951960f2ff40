// Checks NKeys and a JWT signature made by natsfault with the official Go nkeys library
// (Debian's golang-github-nats-io-nkeys-dev): run with GOPATH=/usr/share/gocode GO111MODULE=off.
//
//	go run main.go SEED PUBLIC_KEY JWT
//
// Prints "ok" and exits 0 when the seed decodes to the public key, and the JWT's signature
// verifies with the public key its claims name as issuer; otherwise says what failed and exits 1.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nkeys"
)

func fail(format string, args ...interface{}) {
	fmt.Printf(format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: nkeys-check SEED PUBLIC_KEY JWT")
	}
	kp, err := nkeys.FromSeed([]byte(os.Args[1]))
	if err != nil {
		fail("seed: %v", err)
	}
	public, err := kp.PublicKey()
	if err != nil {
		fail("public key of the seed: %v", err)
	}
	if public != os.Args[2] {
		fail("the seed's public key is %s, natsfault says %s", public, os.Args[2])
	}
	parts := strings.Split(os.Args[3], ".")
	if len(parts) != 3 {
		fail("the JWT has %d parts", len(parts))
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		fail("claims: %v", err)
	}
	var claims struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(body, &claims); err != nil {
		fail("claims: %v", err)
	}
	issuer, err := nkeys.FromPublicKey(claims.Issuer)
	if err != nil {
		fail("issuer %q: %v", claims.Issuer, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		fail("signature: %v", err)
	}
	if err := issuer.Verify([]byte(parts[0]+"."+parts[1]), sig); err != nil {
		fail("signature: %v", err)
	}
	fmt.Println("ok")
}
