//! TLS for the PostgreSQL port: rustls with the ring provider, from PEM files.

use super::config::TlsFiles;
use crate::{Error, Result};
use pgwire::tokio::tokio_rustls::rustls::{self, crypto::ring};
use pgwire::tokio::TlsAcceptor;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// A TLS acceptor for the certificate chain and key in `files`.
///
/// # Errors
/// `Error::Io` if a file cannot be read or holds no PEM item of its kind; `Error::Usage` if
/// rustls refuses the pair (a key that does not match the certificate).
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor> {
    let pem_error = |path: &std::path::Path, e: rustls_pki_types::pem::Error| Error::Io {
        context: format!("cannot read TLS file {}", path.display()),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    };
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_error(&files.cert, e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| pem_error(&files.key, e))?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
            .map_err(|e| Error::Usage(format!("unusable TLS certificate or key: {e}")))?;
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
