// go-oidc (Debian's golang-github-coreos-go-oidc-dev, 2.1.0) against a running tokendealer, the
// way oauth2-proxy and Go services use it: the provider from the issuer URL alone
// (NewProvider reads {issuer}/.well-known/openid-configuration), tokens from its token endpoint
// with golang.org/x/oauth2's client-credentials flow, and the provider's Verifier with ClientID =
// the audience. The token for that audience is accepted, the one for another refused.
//
//	TOKENDEALER_CLIENT_SECRET=... go run verify.go ISSUER CLIENT_ID AUDIENCE OTHER_AUDIENCE
//
// Prints one line per check; exits 1 if any failed. The secret comes from the environment so
// that it is not on a command line.
package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/coreos/go-oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

var failed = 0

func check(what string, err error) {
	if err != nil {
		fmt.Printf("not ok - %s: %v\n", what, err)
		failed++
	} else {
		fmt.Printf("ok - %s\n", what)
	}
}

func main() {
	if len(os.Args) != 5 || os.Getenv("TOKENDEALER_CLIENT_SECRET") == "" {
		fmt.Fprintln(os.Stderr, "usage: TOKENDEALER_CLIENT_SECRET=... go run verify.go ISSUER CLIENT_ID AUDIENCE OTHER_AUDIENCE")
		os.Exit(2)
	}
	issuer, clientID, audience, other := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	// Every request below (discovery, keys, tokens) carries this deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	provider, err := oidc.NewProvider(ctx, issuer)
	check("NewProvider reads "+issuer+"/.well-known/openid-configuration", err)
	if err != nil {
		os.Exit(1)
	}
	// go-oidc v3's Provider.Verifier allows what the document lists here (RS256 when nothing);
	// 2.1.0 takes it from the Config: passed as v3 would read it.
	var discovered struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	err = provider.Claims(&discovered)
	if err == nil && !contains(discovered.Algs, oidc.RS512) {
		err = fmt.Errorf("id_token_signing_alg_values_supported is %q", discovered.Algs)
	}
	check("the discovery document lists RS512", err)

	token := func(aud string) string {
		conf := clientcredentials.Config{
			ClientID:       clientID,
			ClientSecret:   os.Getenv("TOKENDEALER_CLIENT_SECRET"),
			TokenURL:       provider.Endpoint().TokenURL,
			EndpointParams: url.Values{"audience": {aud}},
			AuthStyle:      oauth2.AuthStyleInHeader,
		}
		t, err := conf.Token(ctx)
		check("a token for "+aud+" from the discovered token endpoint", err)
		if err != nil {
			os.Exit(1)
		}
		return t.AccessToken
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: audience, SupportedSigningAlgs: discovered.Algs})

	_, err = verifier.Verify(ctx, token(audience))
	check("the Verifier for "+audience+" accepts its token", err)
	_, err = verifier.Verify(ctx, token(other))
	if err == nil {
		err = fmt.Errorf("accepted")
	} else {
		fmt.Printf("  (refused: %v)\n", err)
		err = nil
	}
	check("the Verifier for "+audience+" refuses the token for "+other, err)

	if failed > 0 {
		os.Exit(1)
	}
}

func contains(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}
