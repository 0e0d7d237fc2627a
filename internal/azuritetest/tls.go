package azuritetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// TLS is the self-signed certificate an OAuth-mode Azurite serves (for 127.0.0.1 and
// localhost), made by the test: nothing outside the test trusts it.
type TLS struct {
	// CertFile is the certificate (PEM): give it to a kudulens process as SSL_CERT_FILE.
	CertFile string
	// KeyFile is its private key (PEM), for Azurite's --key.
	KeyFile string
	// Pool holds the certificate, for a Go client in the test process.
	Pool *x509.CertPool
}

// Client is an HTTP client that trusts the certificate (an azcore policy.Transporter).
func (t *TLS) Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: t.Pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}
}

// newTLS writes a self-signed certificate and its key into dir.
func newTLS(dir string) (*TLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "azuritetest 127.0.0.1"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own root in SSL_CERT_FILE
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	t := &TLS{CertFile: filepath.Join(dir, "azurite-cert.pem"), KeyFile: filepath.Join(dir, "azurite-key.pem"), Pool: x509.NewCertPool()}
	t.Pool.AddCert(cert)
	if err := os.WriteFile(t.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(t.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	return t, nil
}
