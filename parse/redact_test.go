package parse

import (
	"encoding/binary"
	"testing"
)

// redactCase is a line and what Redact must make of it.
type redactCase struct{ in, want string }

// shapeCases has, for every shape of secretShapes, lines where the shape holds a secret (want
// differs from in) and lines where it must find none (want == in): useful diagnostics that
// look like a secret and are not.
var shapeCases = map[string][]redactCase{
	"key=value": {
		{"AZURE_STORAGE_KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw== rest", "AZURE_STORAGE_KEY=[REDACTED] rest"},
		{"SecretKey=s3cr3t-v4lue next", "SecretKey=[REDACTED] next"},
		{"secret-key=s3cr3t-v4lue next", "secret-key=[REDACTED] next"},
		{"WEBSITE_AUTH_ENCRYPTION_KEY=0A1B2C3D4E5F60718293A4B5C6D7E8F9 set", "WEBSITE_AUTH_ENCRYPTION_KEY=[REDACTED] set"},
		{"MACHINEKEY_DecryptionKey=0A1B2C3D4E5F6071 MACHINEKEY_ValidationKey=8293A4B5C6D7E8F9", "MACHINEKEY_DecryptionKey=[REDACTED] MACHINEKEY_ValidationKey=[REDACTED]"},
		{"login pwd=hunter2 ok", "login pwd=[REDACTED] ok"},
		{"Password = spaced", "Password = [REDACTED]"},
		{"Server=tcp:x;User ID=sa;Password=P@ss w0rd;Encrypt=True", "Server=tcp:x;User ID=sa;Password=[REDACTED];Encrypt=True"},
		{"Time taken in = 1.93 minutes.", "Time taken in = 1.93 minutes."},
		{"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;EntityPath=q", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;EntityPath=q"},
		{"PartitionKey=2026-11-19 RowKey=abc retries=3", "PartitionKey=2026-11-19 RowKey=abc retries=3"},
	},
	"key: value": {
		{`{"password" : "x-Secret-1", "user" : "bob"}`, `{"password" : "[REDACTED]", "user" : "bob"}`},
		{"Password : hunter2 (from settings)", "Password : [REDACTED] (from settings)"},
		{"Client Secret : s3cr3t, Client ID : 42", "Client Secret : [REDACTED], Client ID : 42"},
		{"ClientSecret: s3cr3t-v4lue", "ClientSecret: [REDACTED]"},
		{"Authorization: bearer abcdefghijklmnop.qrst next", "Authorization: bearer [REDACTED] next"},
		{"text : more", "text : more"},
		{"21-40-07:12: Got SQL error: Login failed for user 'x'.", "21-40-07:12: Got SQL error: Login failed for user 'x'."},
		{"Got exception on ProcessCallQueueAndWebhook: AADSTS7000215: Invalid client secret provided.", "Got exception on ProcessCallQueueAndWebhook: AADSTS7000215: Invalid client secret provided."},
		{"Configured value: ImportBatchSize: 500", "Configured value: ImportBatchSize: 500"},
	},
	"key%3Dvalue": {
		{"GET https%3A%2F%2Fa.blob.core.windows.net%2Fc%3Fsv%3D2022-11-02%26sig%3DAbC%252Bdef%253D%26se%3D2026 failed",
			"GET https%3A%2F%2Fa.blob.core.windows.net%2Fc%3Fsv%3D2022-11-02%26sig%3D[REDACTED]%26se%3D2026 failed"},
		{"cs=DefaultEndpointsProtocol%3Dhttps%3BAccountName%3Da%3BAccountKey%3DK%2Bey%3D%3D%3BEndpointSuffix%3Dcore.windows.net",
			"cs=DefaultEndpointsProtocol%3Dhttps%3BAccountName%3Da%3BAccountKey%3D[REDACTED]%3BEndpointSuffix%3Dcore.windows.net"},
		{"url=https%3A%2F%2Fa.blob.core.windows.net%2Fc%3Fsv%3D2022-11-02%26se%3D2026", "url=https%3A%2F%2Fa.blob.core.windows.net%2Fc%3Fsv%3D2022-11-02%26se%3D2026"},
		{"CPU at 93% for 5 minutes, 100%3D full", "CPU at 93% for 5 minutes, 100%3D full"},
	},
	"URL user:password@": {
		{"cloning https://deploy:Pa55w0rd!@contoso.scm.azurewebsites.net/contoso.git failed", "cloning https://deploy:[REDACTED]@contoso.scm.azurewebsites.net/contoso.git failed"},
		{"amqps://root:K3y+abc=@ns.servicebus.windows.net:5671", "amqps://root:[REDACTED]@ns.servicebus.windows.net:5671"},
		{"GET https://contoso.blob.core.windows.net:443/c/a:b@c failed", "GET https://contoso.blob.core.windows.net:443/c/a:b@c failed"},
		{"mail to https://support@contoso.com/ticket", "mail to https://support@contoso.com/ticket"},
	},
	"<add key=... value=...>": {
		{`<add key="ClientSecret" value="s3cr3t-v4lue" />`, `<add key="ClientSecret" value="[REDACTED]" />`},
		{`<add key='AzureWebJobsStorageAccountKey' value='K3y=='/>`, `<add key='AzureWebJobsStorageAccountKey' value='[REDACTED]'/>`},
		{`<add name="Password" value="hunter2"/>`, `<add name="Password" value="[REDACTED]"/>`},
		{`<add key="ClientId" value="0f1e2d3c-aaaa-bbbb-cccc-123456789abc" />`, `<add key="ClientId" value="0f1e2d3c-aaaa-bbbb-cccc-123456789abc" />`},
		{`<add key="ImportBatchSize" value="500"/>`, `<add key="ImportBatchSize" value="500"/>`},
	},
	"<Secret>value</Secret>": {
		{"<Password>hunter2</Password>", "<Password>[REDACTED]</Password>"},
		{`<Settings><ClientSecret Encrypted="false">s3cr3t</ClientSecret><ClientId>42</ClientId></Settings>`, `<Settings><ClientSecret Encrypted="false">[REDACTED]</ClientSecret><ClientId>42</ClientId></Settings>`},
		{"at Azure.Identity.ClientSecretCredential.GetTokenAsync(TokenRequestContext ctx) in ValueTask<AccessToken> GetToken", "at Azure.Identity.ClientSecretCredential.GetTokenAsync(TokenRequestContext ctx) in ValueTask<AccessToken> GetToken"},
		{"List<Secret> secrets = new List<Secret>();", "List<Secret> secrets = new List<Secret>();"},
		{"<Password></Password>", "<Password></Password>"},
	},
	"JSON Web Token": {
		{"token eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ end", "token [REDACTED] end"},
		{"eyJ alone is not a token", "eyJ alone is not a token"},
		{"Json error in JobBase", "Json error in JobBase"},
	},
	"bearer token": {
		{"calling Graph with bearer EwBwA8l6BAAUAOyDv0l6PcCVu89kmzvqZmkWABkAAQ end", "calling Graph with bearer [REDACTED] end"},
		{"calling Graph with Bearer EwBwA8l6BAAUAOyDv0l6PcCVu89kmzvqZmkWABkAAQ end", "calling Graph with Bearer [REDACTED] end"},
		{"Bearer short", "Bearer short"},
		{"the bearer of bad news was blamed", "the bearer of bad news was blamed"},
	},
}

// Every shape of the table has cases both ways, and each case that must be redacted is found
// by its shape itself (not only by another one) and by Redact.
func TestRedactShapes(t *testing.T) {
	for _, s := range secretShapes {
		cases := shapeCases[s.name]
		var pos, neg int
		for _, c := range cases {
			got, changed := Redact(nil, []byte(c.in))
			if string(got) != c.want || changed != (c.in != c.want) {
				t.Errorf("%s: Redact(%q)\n got %q (changed %v)\nwant %q", s.name, c.in, got, changed, c.want)
			}
			if c.in == c.want {
				neg++
				continue
			}
			pos++
			found := false
			for i := 0; i < len(c.in); i++ {
				if isAnchor[c.in[i]] && containsByte(s.anchors, c.in[i]) {
					if _, _, ok := s.at([]byte(c.in), i); ok {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s: the shape itself does not find the secret in %q", s.name, c.in)
			}
		}
		if pos == 0 || neg == 0 {
			t.Errorf("shape %q has %d cases with a secret and %d without: want both", s.name, pos, neg)
		}
	}
	for name := range shapeCases {
		known := false
		for _, s := range secretShapes {
			known = known || s.name == name
		}
		if !known {
			t.Errorf("cases for %q, a shape the table does not have", name)
		}
	}
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// A value that says what state a secret is in is the diagnosis: it stays. A value that only
// starts like one is a secret.
func TestRedactKeepsStatusWords(t *testing.T) {
	for _, c := range []redactCase{
		{"Token: missing", "Token: missing"},
		{"Secret: not set", "Secret: not set"},
		{"Authorization: missing", "Authorization: missing"},
		{"Connection string: missing", "Connection string: missing"},
		{"Storage key: empty.", "Storage key: empty."},
		{"password=not set; retrying", "password=not set; retrying"},
		{"Password=null;Server=x", "Password=null;Server=x"},
		{"ClientSecret: EXPIRED, renew it in the portal", "ClientSecret: EXPIRED, renew it in the portal"},
		{"Token: invalid", "Token: invalid"},
		{`{"password": null, "user": "bob"}`, `{"password": null, "user": "bob"}`},
		{"<Password>(none)</Password>", "<Password>(none)</Password>"},
		{"Authorization: Bearer <empty>", "Authorization: Bearer <empty>"},
		{"Secret: not found in Key Vault", "Secret: not found in Key Vault"},

		{"Token: missingno-4711", "Token: [REDACTED]"},
		{"Secret: notset123", "Secret: [REDACTED]"},
		{"Secret: not s3cr3t", "Secret: [REDACTED] s3cr3t"},
		{"password=emptyish", "password=[REDACTED]"},
		{"Connection string: Server=x;Password=y", "Connection string: [REDACTED];Password=[REDACTED]"},
		{"Storage key: nullK3y==", "Storage key: [REDACTED]"},
		{"Authorization: Bearer abcdefghijklmnopq", "Authorization: Bearer [REDACTED]"},
	} {
		got, changed := Redact(nil, []byte(c.in))
		if string(got) != c.want || changed != (c.in != c.want) {
			t.Errorf("Redact(%q)\n got %q (changed %v)\nwant %q", c.in, got, changed, c.want)
		}
	}
}

// The word-at-a-time test of nextSecret finds exactly the anchors of secretShapes, at every
// position of a word.
func TestAnchors(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			var w [8]byte
			for i := range w {
				w[i] = 'x'
			}
			w[pos] = byte(c)
			if got := hasAnchor(binary.LittleEndian.Uint64(w[:])); got != isAnchor[c] {
				t.Fatalf("byte %q at %d: hasAnchor %v, in the table %v", byte(c), pos, got, isAnchor[c])
			}
		}
	}
}
