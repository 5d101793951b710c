import { LocallySignedCert } from '@cdktf/provider-tls/lib/locally-signed-cert';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { SelfSignedCert } from '@cdktf/provider-tls/lib/self-signed-cert';
import { CertRequest } from '@cdktf/provider-tls/lib/cert-request';
import { Construct } from 'constructs';

export interface ElasticsearchTlsProps {
  /** DNS names the HTTP certificate covers (Service names in every form clients use). */
  readonly dnsNames: string[];
  /** @default 8760 (one year); renewed by the next apply in its last 30 days */
  readonly validityHours?: number;
}

/**
 * A CA and an HTTP server certificate for Elasticsearch, kept in Terraform state so the
 * CA is known to every stack that must trust it (Fluentd, the collector, verify tools)
 * before Elasticsearch exists, and stays the same across applies.
 */
export class ElasticsearchTls extends Construct {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;

  constructor(scope: Construct, id: string, props: ElasticsearchTlsProps) {
    super(scope, id);
    const validity = props.validityHours ?? 8760;
    const caKey = new PrivateKey(this, 'ca-key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
    const ca = new SelfSignedCert(this, 'ca', {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      subject: [{ commonName: 'monitoring-stack Elasticsearch CA', organization: 'monitoring-stack' }],
      validityPeriodHours: validity * 5,
      earlyRenewalHours: 720,
      allowedUses: ['cert_signing', 'crl_signing', 'digital_signature'],
    });
    const key = new PrivateKey(this, 'http-key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
    const csr = new CertRequest(this, 'http-csr', {
      privateKeyPem: key.privateKeyPem,
      subject: [{ commonName: props.dnsNames[0] }],
      dnsNames: props.dnsNames,
      ipAddresses: ['127.0.0.1'],
    });
    const cert = new LocallySignedCert(this, 'http-cert', {
      certRequestPem: csr.certRequestPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      validityPeriodHours: validity,
      earlyRenewalHours: 720,
      allowedUses: ['digital_signature', 'key_encipherment', 'server_auth'],
    });
    this.caCertPem = ca.certPem;
    this.certPem = cert.certPem;
    this.keyPem = key.privateKeyPem;
  }
}
